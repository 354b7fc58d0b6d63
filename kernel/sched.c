/*
 * Cooperative threads and waiting without lost wake-ups (kernel/sched.h).
 *
 * Every thread that is not running is either runnable or waiting for a condition with a
 * deadline. The scheduler does not keep wait queues: when the running thread stops, it looks
 * at the threads in round-robin order and takes the first one that is runnable or whose
 * condition is now true. With the handful of threads a unikernel has, that is cheap, and it
 * makes a wake-up impossible to lose: there is nothing to forget to wake.
 *
 * The classic race -- check a condition, find it false, sleep, while the event that made it
 * true arrived in between -- is closed by the platform's idle (kernel/platform.h; on Xen,
 * SCHEDOP_block): it lets events in and sleeps as one step, and returns at once if an event
 * is pending. So the scheduler holds events back, checks every condition, and only then
 * idles: any event after the check is pending, not lost. An idle Mote sits in SCHEDOP_block
 * and uses no CPU.
 */
#include <stdint.h>
#include <stdbool.h>
#include "kernel/sched.h"
#include "kernel/arch.h"
#include "kernel/platform.h"
#include "kernel/symbols.h"
#include "xen/console.h"
#include "xen/time.h"
#include "lib/errno.h"
#include "lib/heap.h"
#include "lib/list.h"
#include "lib/page_alloc.h"
#include "lib/panic.h"
#include "lib/string.h"
#include "lib/util.h"

enum thread_state { THREAD_RUNNABLE, THREAD_WAITING, THREAD_DEAD };

struct thread {
	struct list_node link;          /* in sched.threads, round-robin order */
	char name[24];
	enum thread_state state;
	uintptr_t saved_sp;             /* while switched out */
	void *stack;                    /* guard page + THREAD_STACK_SIZE; NULL for main */
	void (*entry)(void *arg);
	void *arg;
	/* While waiting: */
	bool (*condition)(void *arg);
	void *condition_arg;
	uint64_t deadline;
	bool condition_met;             /* why the scheduler picked it */
};

static struct {
	struct list_node threads;
	struct thread *current;
	struct thread main;
	struct thread *dead;            /* exited; its stack is freed from another thread */
	uint64_t switches;
	uint64_t blocks;
	unsigned int count;
} sched;

#define STACK_PAGES (THREAD_STACK_SIZE / PAGE_SIZE + 1)	/* + the guard page */

void sched_init(void)
{
	list_init(&sched.threads);
	strlcpy(sched.main.name, "main", sizeof(sched.main.name));
	sched.main.state = THREAD_RUNNABLE;
	list_add_tail(&sched.threads, &sched.main.link);
	sched.current = &sched.main;
	sched.count = 1;
}

struct thread *thread_current(void)
{
	return sched.current;
}

const char *thread_name(const struct thread *thread)
{
	return thread->name;
}

/* An exited thread stays on the list until another thread runs, because its stack is in use
 * until the switch away from it. */
static void free_dead_thread(void)
{
	struct thread *dead = sched.dead;

	if (dead == NULL || dead == sched.current)
		return;
	sched.dead = NULL;
	list_remove(&dead->link);
	platform_guard_page(dead->stack, false);
	page_free(dead->stack, STACK_PAGES);
	free(dead);
}

/* Whether `thread` may run now; records whether its condition or its deadline decided. */
static bool ready(struct thread *thread, uint64_t now)
{
	if (thread->state == THREAD_RUNNABLE)
		return true;
	if (thread->state != THREAD_WAITING)
		return false;
	if (thread->condition(thread->condition_arg)) {
		thread->condition_met = true;
		return true;
	}
	if (thread->deadline != TIME_NEVER && now >= thread->deadline) {
		thread->condition_met = false;
		return true;
	}
	return false;
}

/* The next thread to run after the current one in round-robin order (the current one
 * last), or NULL. */
static struct thread *pick_next(void)
{
	uint64_t now = time_now();
	struct list_node *start = &sched.current->link, *node = start;

	do {
		node = node->next;
		if (node != &sched.threads && ready(container_of(node, struct thread, link), now))
			return container_of(node, struct thread, link);
	} while (node != start);
	return NULL;
}

static uint64_t earliest_deadline(void)
{
	uint64_t earliest = TIME_NEVER;
	struct thread *thread;

	list_for_each_entry(thread, &sched.threads, link) {
		if (thread->state == THREAD_WAITING)
			earliest = MIN(earliest, thread->deadline);
	}
	return earliest;
}

/*
 * Give the vCPU to the next thread that can run; return when the calling thread is picked
 * again. Called with events enabled; returns with them enabled.
 */
static void schedule(void)
{
	struct thread *previous = sched.current, *next;

	for (;;) {
		platform_events_block();
		next = pick_next();
		if (next != NULL)
			break;
		/* Nothing can run: sleep until an event or the first deadline. */
		sched.blocks++;
		platform_idle(earliest_deadline());
	}
	if (next != previous) {
		sched.switches++;
		sched.current = next;
		arch_switch_stack(&previous->saved_sp, next->saved_sp);
		/* Back in `previous`, picked by some other thread's schedule(). */
	}
	platform_events_enable();
	free_dead_thread();
}

int sched_wait(bool (*condition)(void *arg), void *arg, uint64_t deadline)
{
	struct thread *self = sched.current;

	/* Waiting lets events in; doing that inside an event handler would nest them. */
	if (platform_events_blocked())
		panic("sched_wait with events held back (called from an event handler?)");
	self->condition = condition;
	self->condition_arg = arg;
	self->deadline = deadline;
	self->state = THREAD_WAITING;
	schedule();
	self->state = THREAD_RUNNABLE;
	return self->condition_met ? 0 : -ETIMEDOUT;
}

static bool deadline_passed(void *arg)
{
	return time_now() >= *(const uint64_t *)arg;
}

void sched_sleep(uint64_t nanoseconds)
{
	uint64_t deadline = time_now() + nanoseconds;

	sched_wait(deadline_passed, &deadline, deadline);
}

void sched_yield(void)
{
	schedule();
}

/* The first code of every new thread, entered by its first switch (events held back). */
static noreturn void thread_start(void)
{
	struct thread *self = sched.current;

	platform_events_enable();
	free_dead_thread();
	self->entry(self->arg);
	thread_exit();
}

struct thread *thread_create(const char *name, void (*entry)(void *arg), void *arg)
{
	struct thread *thread = calloc(1, sizeof(*thread));

	if (thread == NULL)
		return NULL;
	thread->stack = page_alloc(STACK_PAGES);
	if (thread->stack == NULL) {
		free(thread);
		return NULL;
	}
	/* The lowest page stays unmapped: an overflow faults instead of corrupting memory. */
	platform_guard_page(thread->stack, true);
	strlcpy(thread->name, name, sizeof(thread->name));
	thread->entry = entry;
	thread->arg = arg;
	thread->state = THREAD_RUNNABLE;
	thread->saved_sp = arch_thread_stack_init((char *)thread->stack + PAGE_SIZE,
						  THREAD_STACK_SIZE, thread_start);
	list_add_tail(&sched.threads, &thread->link);
	sched.count++;
	return thread;
}

noreturn void thread_exit(void)
{
	struct thread *self = sched.current;

	if (self == &sched.main)
		panic("the main thread cannot exit; return from app_main instead");
	free_dead_thread();
	self->state = THREAD_DEAD;
	sched.dead = self;
	sched.count--;
	for (;;)
		schedule();
}

void sched_stats(struct sched_stats *out)
{
	out->switches = sched.switches;
	out->blocks = sched.blocks;
	out->threads = sched.count;
}

void sched_dump(void)
{
	static const char *const states[] = { "runnable", "waiting", "dead" };
	uint64_t now = time_now();
	struct thread *thread;

	printf("threads: %u, %lu switches, %lu blocks in Xen\n", sched.count,
	       (unsigned long)sched.switches, (unsigned long)sched.blocks);
	list_for_each_entry(thread, &sched.threads, link) {
		printf("  %-16s %s", thread->name,
		       thread == sched.current ? "running" : states[thread->state]);
		if (thread->state == THREAD_WAITING && thread != sched.current) {
			uint64_t offset;
			const char *name = symbol_lookup((uint64_t)(uintptr_t)thread->condition, &offset);

			printf(" for %s", name != NULL ? name : "?");
			if (thread->deadline != TIME_NEVER)
				printf(", deadline in %ld ms",
				       (long)((int64_t)(thread->deadline - now) / (int64_t)NSEC_PER_MSEC));
		}
		printf("\n");
		if (thread != sched.current)
			arch_backtrace(arch_thread_frame_pointer(thread->saved_sp));
	}
}
