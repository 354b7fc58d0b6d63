/*
 * test/unit/test_id_pool.c: lib/id_pool.c. Besides the cases one by one, a random sequence of
 * gets and puts is checked against a model (a plain array of "in use" flags), growth included.
 */
#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include "lib/errno.h"
#include "lib/id_pool.h"
#include "test/unit/stubs.h"

/* The pool's storage comes from glibc here: the pool never allocates, its caller does. */
#undef calloc
#undef realloc
#undef free

#define SMALL 8
#define LARGE 4096

/* Take every free id; each must be new and in range. Returns how many there were. */
static uint32_t drain(struct id_pool *pool, bool *seen, uint32_t max)
{
	uint32_t id, count = 0;

	while (id_pool_get(pool, &id) == 0) {
		ck_assert_uint_lt(id, max);
		ck_assert_msg(!seen[id], "id %u handed out twice", id);
		seen[id] = true;
		count++;
	}
	return count;
}

START_TEST(fresh_pool_hands_out_ids_in_order)
{
	uint32_t storage[SMALL], id;
	struct id_pool pool;

	ck_assert_int_eq(id_pool_init(&pool, storage, SMALL), 0);
	ck_assert_uint_eq(pool.capacity, SMALL);
	ck_assert_uint_eq(pool.in_use, 0);
	for (uint32_t expected = 0; expected < SMALL; expected++) {
		ck_assert(!id_pool_in_use(&pool, expected));
		ck_assert_int_eq(id_pool_get(&pool, &id), 0);
		ck_assert_uint_eq(id, expected);
		ck_assert(id_pool_in_use(&pool, id));
	}
	ck_assert_uint_eq(pool.in_use, SMALL);
	ck_assert_int_eq(id_pool_get(&pool, &id), -ENOSPC);
	ck_assert_uint_eq(pool.in_use, SMALL);
}
END_TEST

START_TEST(put_id_is_reused_first)
{
	uint32_t storage[SMALL], id;
	struct id_pool pool;

	id_pool_init(&pool, storage, SMALL);
	for (int i = 0; i < 5; i++)
		id_pool_get(&pool, &id);
	ck_assert_int_eq(id_pool_put(&pool, 2), 0);
	ck_assert(!id_pool_in_use(&pool, 2));
	ck_assert_uint_eq(pool.in_use, 4);
	ck_assert_int_eq(id_pool_get(&pool, &id), 0);
	ck_assert_uint_eq(id, 2);
	ck_assert_int_eq(id_pool_get(&pool, &id), 0);
	ck_assert_uint_eq(id, 5);
}
END_TEST

START_TEST(empty_pool_has_nothing_to_give)
{
	uint32_t id = 1234;
	struct id_pool pool;

	ck_assert_int_eq(id_pool_init(&pool, NULL, 0), 0);
	ck_assert_int_eq(id_pool_get(&pool, &id), -ENOSPC);
	ck_assert_uint_eq(id, 1234);
	ck_assert_int_eq(id_pool_put(&pool, 0), -EINVAL);
	ck_assert(!id_pool_in_use(&pool, 0));
}
END_TEST

START_TEST(bad_puts_are_refused_and_change_nothing)
{
	uint32_t storage[SMALL], id;
	bool seen[SMALL] = { false };
	struct id_pool pool;

	id_pool_init(&pool, storage, SMALL);
	id_pool_get(&pool, &id);
	id_pool_get(&pool, &id);
	/* Outside the pool. */
	ck_assert_int_eq(id_pool_put(&pool, SMALL), -EINVAL);
	ck_assert_int_eq(id_pool_put(&pool, UINT32_MAX), -EINVAL);
	/* Never handed out. */
	ck_assert_int_eq(id_pool_put(&pool, 5), -EALREADY);
	/* Put twice: the second is refused. */
	ck_assert_int_eq(id_pool_put(&pool, 1), 0);
	ck_assert_int_eq(id_pool_put(&pool, 1), -EALREADY);
	ck_assert_uint_eq(pool.in_use, 1);
	/* The free list is intact: exactly the SMALL - 1 free ids come out, each once. */
	seen[0] = true;
	ck_assert_uint_eq(drain(&pool, seen, SMALL), SMALL - 1);
	ck_assert_uint_eq(pool.in_use, SMALL);
}
END_TEST

START_TEST(too_many_ids_are_refused)
{
	struct id_pool pool;
	uint32_t storage[1];

	ck_assert_int_eq(id_pool_init(&pool, storage, ID_POOL_MAX_IDS + 1u), -EINVAL);
	ck_assert_int_eq(id_pool_init(&pool, storage, 1), 0);
	ck_assert_int_eq(id_pool_grow(&pool, storage, ID_POOL_MAX_IDS + 1u), -EINVAL);
	ck_assert_uint_eq(pool.capacity, 1);
}
END_TEST

START_TEST(growth_adds_new_ids_and_keeps_old_ones)
{
	uint32_t *storage = calloc(SMALL, sizeof(*storage));
	bool seen[3 * SMALL] = { false };
	struct id_pool pool;
	uint32_t id;

	id_pool_init(&pool, storage, SMALL);
	for (int i = 0; i < SMALL; i++)
		id_pool_get(&pool, &id);
	/* Ids 0 and 3 are free again when the pool grows; 1, 2, 4.. stay in use. */
	id_pool_put(&pool, 3);
	id_pool_put(&pool, 0);
	ck_assert_int_eq(id_pool_grow(&pool, storage, SMALL), -EINVAL);
	storage = realloc(storage, 3 * SMALL * sizeof(*storage));
	ck_assert_int_eq(id_pool_grow(&pool, storage, 3 * SMALL), 0);
	ck_assert_uint_eq(pool.capacity, 3 * SMALL);
	ck_assert_uint_eq(pool.in_use, SMALL - 2);
	ck_assert(id_pool_in_use(&pool, 1));
	ck_assert(!id_pool_in_use(&pool, 3));
	ck_assert(!id_pool_in_use(&pool, SMALL));
	/* The new ids come first, lowest first; then the ones that were free before. */
	ck_assert_int_eq(id_pool_get(&pool, &id), 0);
	ck_assert_uint_eq(id, SMALL);
	ck_assert_int_eq(id_pool_get(&pool, &id), 0);
	ck_assert_uint_eq(id, SMALL + 1);
	seen[SMALL] = seen[SMALL + 1] = true;
	for (int i = 1; i < SMALL; i++)
		seen[i] = i != 3;
	/* Left: the other 2 * SMALL - 2 new ids, and 0 and 3. */
	ck_assert_uint_eq(drain(&pool, seen, 3 * SMALL), 2 * SMALL);
	for (int i = 0; i < 3 * SMALL; i++)
		ck_assert_msg(seen[i], "id %d never handed out", i);
	free(storage);
}
END_TEST

static uint32_t random_next(uint32_t *state)
{
	/* xorshift32: deterministic, so a failure can be replayed. */
	*state ^= *state << 13;
	*state ^= *state >> 17;
	*state ^= *state << 5;
	return *state;
}

/* 200,000 random gets, puts (good and bad) and growths, checked against a model. */
START_TEST(random_operations_match_a_model)
{
	static bool model[LARGE];
	uint32_t *storage = calloc(64, sizeof(*storage));
	uint32_t capacity = 64, in_use = 0, state = 2024, id;
	struct id_pool pool;

	id_pool_init(&pool, storage, capacity);
	for (int step = 0; step < 200000; step++) {
		uint32_t choice = random_next(&state) % 100;
		uint32_t target = random_next(&state) % (capacity + 4);

		if (choice < 48) {
			int rc = id_pool_get(&pool, &id);

			REQUIRE(rc == (in_use == capacity ? -ENOSPC : 0), "step %d: get returned %d", step, rc);
			if (rc == 0) {
				REQUIRE(id < capacity && !model[id], "step %d: got id %u, in use", step, id);
				model[id] = true;
				in_use++;
			}
		} else if (choice < 99) {
			int expected = target >= capacity ? -EINVAL : model[target] ? 0 : -EALREADY;
			int rc = id_pool_put(&pool, target);

			REQUIRE(rc == expected, "step %d: put %u returned %d, not %d", step, target, rc, expected);
			if (rc == 0) {
				model[target] = false;
				in_use--;
			}
		} else if (capacity < LARGE) {
			uint32_t grown = capacity * 2;

			storage = realloc(storage, grown * sizeof(*storage));
			REQUIRE(id_pool_grow(&pool, storage, grown) == 0, "step %d: grow failed", step);
			capacity = grown;
		}
		REQUIRE(pool.in_use == in_use, "step %d: in_use %u, model %u", step, pool.in_use, in_use);
		REQUIRE(id_pool_in_use(&pool, target) == (target < capacity && model[target]),
			"step %d: in_use(%u) disagrees with the model", step, target);
	}
	ck_assert_uint_eq(capacity, LARGE);
	free(storage);
}
END_TEST

Suite *id_pool_suite(void)
{
	Suite *suite = suite_create("id_pool");
	TCase *tests = tcase_create("id_pool");

	tcase_add_test(tests, fresh_pool_hands_out_ids_in_order);
	tcase_add_test(tests, put_id_is_reused_first);
	tcase_add_test(tests, empty_pool_has_nothing_to_give);
	tcase_add_test(tests, bad_puts_are_refused_and_change_nothing);
	tcase_add_test(tests, too_many_ids_are_refused);
	tcase_add_test(tests, growth_adds_new_ids_and_keeps_old_ones);
	tcase_add_test(tests, random_operations_match_a_model);
	suite_add_tcase(suite, tests);
	return suite;
}
