/*
 * test/unit/test_list.c: lib/list.h, with a small object type that embeds a list node.
 */
#include <check.h>
#include "lib/list.h"

struct item {
	int value;
	struct list_node link;
};

/* Reads the list's values front to back into `values`; returns how many there were. */
static size_t values_of(struct list_node *head, int *values, size_t max)
{
	struct item *item;
	size_t count = 0;

	list_for_each_entry(item, head, link) {
		ck_assert_uint_lt(count, max);
		values[count++] = item->value;
	}
	return count;
}

/* Every node's neighbours point back at it, in both directions, all the way round. */
static void assert_well_linked(const struct list_node *head)
{
	const struct list_node *node = head;

	do {
		ck_assert_ptr_eq(node->next->prev, node);
		ck_assert_ptr_eq(node->prev->next, node);
		node = node->next;
	} while (node != head);
}

START_TEST(empty_list)
{
	struct list_node head = LIST_INIT(head);
	struct list_node *node;
	int visits = 0;

	ck_assert(list_empty(&head));
	ck_assert_uint_eq(list_length(&head), 0);
	ck_assert_ptr_null(list_first(&head));
	ck_assert_ptr_null(list_last(&head));
	ck_assert_ptr_null(list_pop_head(&head));
	ck_assert_ptr_null(list_first_entry(&head, struct item, link));
	list_for_each(node, &head)
		visits++;
	ck_assert_int_eq(visits, 0);
}
END_TEST

START_TEST(add_head_and_tail)
{
	struct list_node head;
	struct item items[4] = { { .value = 0 }, { .value = 1 }, { .value = 2 }, { .value = 3 } };
	int values[8];

	list_init(&head);
	list_add_tail(&head, &items[1].link);
	list_add_tail(&head, &items[2].link);
	list_add_head(&head, &items[0].link);
	list_add_tail(&head, &items[3].link);
	assert_well_linked(&head);
	ck_assert(!list_empty(&head));
	ck_assert_uint_eq(list_length(&head), 4);
	ck_assert_uint_eq(values_of(&head, values, 8), 4);
	for (int i = 0; i < 4; i++)
		ck_assert_int_eq(values[i], i);
	ck_assert_ptr_eq(list_first(&head), &items[0].link);
	ck_assert_ptr_eq(list_last(&head), &items[3].link);
	ck_assert_ptr_eq(list_first_entry(&head, struct item, link), &items[0]);
	ck_assert_ptr_eq(list_entry(&items[2].link, struct item, link), &items[2]);
	ck_assert_ptr_eq(container_of(&items[3].link, struct item, link), &items[3]);
}
END_TEST

START_TEST(remove_and_pop)
{
	struct list_node head;
	struct item items[5];
	int values[8];

	list_init(&head);
	for (int i = 0; i < 5; i++) {
		items[i].value = i;
		list_add_tail(&head, &items[i].link);
	}
	list_remove(&items[2].link);
	list_remove(&items[0].link);
	list_remove(&items[4].link);
	assert_well_linked(&head);
	ck_assert_uint_eq(values_of(&head, values, 8), 2);
	ck_assert_int_eq(values[0], 1);
	ck_assert_int_eq(values[1], 3);

	/* A removed node is self-linked: removing it again changes nothing. */
	ck_assert(list_empty(&items[2].link));
	list_remove(&items[2].link);
	assert_well_linked(&head);
	ck_assert_uint_eq(list_length(&head), 2);

	ck_assert_ptr_eq(list_pop_head(&head), &items[1].link);
	ck_assert_ptr_eq(list_pop_head(&head), &items[3].link);
	ck_assert_ptr_null(list_pop_head(&head));
	ck_assert(list_empty(&head));
	ck_assert(list_empty(&items[3].link));
}
END_TEST

START_TEST(safe_iteration_removes_while_walking)
{
	struct list_node head, *node, *next;
	struct item items[10], *item, *next_item;
	int values[10];

	list_init(&head);
	for (int i = 0; i < 10; i++) {
		items[i].value = i;
		list_add_tail(&head, &items[i].link);
	}
	/* Remove the odd values with the node iterator... */
	list_for_each_safe(node, next, &head) {
		if (list_entry(node, struct item, link)->value % 2 == 1)
			list_remove(node);
	}
	ck_assert_uint_eq(values_of(&head, values, 10), 5);
	for (int i = 0; i < 5; i++)
		ck_assert_int_eq(values[i], 2 * i);

	/* ...then multiples of four with the entry iterator, then everything. */
	list_for_each_entry_safe(item, next_item, &head, link) {
		if (item->value % 4 == 0)
			list_remove(&item->link);
	}
	ck_assert_uint_eq(values_of(&head, values, 10), 2);
	ck_assert_int_eq(values[0], 2);
	ck_assert_int_eq(values[1], 6);
	list_for_each_entry_safe(item, next_item, &head, link)
		list_remove(&item->link);
	ck_assert(list_empty(&head));
	assert_well_linked(&head);
}
END_TEST

START_TEST(moving_between_lists)
{
	struct list_node odd, even;
	struct item items[6], *item;
	int sum = 0;

	list_init(&odd);
	list_init(&even);
	for (int i = 0; i < 6; i++) {
		items[i].value = i;
		list_init(&items[i].link);
		list_add_head(&even, &items[i].link);
	}
	for (int i = 1; i < 6; i += 2) {
		list_remove(&items[i].link);
		list_add_tail(&odd, &items[i].link);
	}
	assert_well_linked(&odd);
	assert_well_linked(&even);
	ck_assert_uint_eq(list_length(&odd), 3);
	ck_assert_uint_eq(list_length(&even), 3);
	list_for_each_entry(item, &odd, link)
		sum += item->value;
	ck_assert_int_eq(sum, 1 + 3 + 5);
	/* add_head reversed the order: 4, 2, 0. */
	ck_assert_ptr_eq(list_first_entry(&even, struct item, link), &items[4]);
}
END_TEST

Suite *list_suite(void)
{
	Suite *suite = suite_create("list");
	TCase *tests = tcase_create("list");

	tcase_add_test(tests, empty_list);
	tcase_add_test(tests, add_head_and_tail);
	tcase_add_test(tests, remove_and_pop);
	tcase_add_test(tests, safe_iteration_removes_while_walking);
	tcase_add_test(tests, moving_between_lists);
	suite_add_tcase(suite, tests);
	return suite;
}
