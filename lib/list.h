/*
 * lib/list.h: intrusive, circular, doubly linked lists. An object that wants to be on a list
 * embeds a struct list_node; the list head is a struct list_node of its own that is never an
 * object. Being circular, an empty list is a head linked to itself, and inserting or removing
 * never needs a special case for the ends.
 */
#ifndef MOTE_LIB_LIST_H
#define MOTE_LIB_LIST_H

#include <stdbool.h>
#include <stddef.h>
#include "lib/util.h"

struct list_node {
	struct list_node *next, *prev;
};

/* For a head or node defined statically: struct list_node queue = LIST_INIT(queue); */
#define LIST_INIT(name) { &(name), &(name) }

static inline void list_init(struct list_node *head)
{
	head->next = head;
	head->prev = head;
}

static inline bool list_empty(const struct list_node *head)
{
	return head->next == head;
}

/* Links `node` between two nodes that are known to be adjacent. */
static inline void list_insert_between(struct list_node *node, struct list_node *prev,
				       struct list_node *next)
{
	node->prev = prev;
	node->next = next;
	prev->next = node;
	next->prev = node;
}

static inline void list_add_head(struct list_node *head, struct list_node *node)
{
	list_insert_between(node, head, head->next);
}

static inline void list_add_tail(struct list_node *head, struct list_node *node)
{
	list_insert_between(node, head->prev, head);
}

/*
 * Unlinks `node` from whatever list it is on. The node is left linked to itself, so that
 * removing it a second time, or asking list_empty() of it, is harmless.
 */
static inline void list_remove(struct list_node *node)
{
	node->prev->next = node->next;
	node->next->prev = node->prev;
	list_init(node);
}

/* The first node, or NULL when the list is empty. */
static inline struct list_node *list_first(const struct list_node *head)
{
	return list_empty(head) ? NULL : head->next;
}

static inline struct list_node *list_last(const struct list_node *head)
{
	return list_empty(head) ? NULL : head->prev;
}

/* Removes and returns the first node, or returns NULL when the list is empty. */
static inline struct list_node *list_pop_head(struct list_node *head)
{
	struct list_node *node = list_first(head);

	if (node != NULL)
		list_remove(node);
	return node;
}

/* Counts the nodes; this walks the whole list. */
static inline size_t list_length(const struct list_node *head)
{
	size_t length = 0;

	for (const struct list_node *node = head->next; node != head; node = node->next)
		length++;
	return length;
}

/* The object that embeds `node` as its `member`. */
#define list_entry(node, type, member) container_of(node, type, member)

/* Object of the first node, or NULL when the list is empty. */
#define list_first_entry(head, type, member) \
	(list_empty(head) ? NULL : list_entry((head)->next, type, member))

/* Iterates over the nodes; the loop body must not remove `node` (see list_for_each_safe). */
#define list_for_each(node, head) \
	for ((node) = (head)->next; (node) != (head); (node) = (node)->next)

/*
 * Iterates over the nodes; the node after `node` is saved in `following` before the body
 * runs, so the body may remove `node`.
 */
#define list_for_each_safe(node, following, head) \
	for ((node) = (head)->next, (following) = (node)->next; (node) != (head); \
	     (node) = (following), (following) = (node)->next)

/*
 * Iterates over the objects, `entry` being a pointer to the object type. The loop stops when
 * `entry`'s embedded node is the head again, so the head is never treated as an object.
 */
#define list_for_each_entry(entry, head, member) \
	for ((entry) = list_entry((head)->next, __typeof__(*(entry)), member); \
	     &(entry)->member != (head); \
	     (entry) = list_entry((entry)->member.next, __typeof__(*(entry)), member))

/* Same, but the body may remove `entry`: the next object is saved in `following` first. */
#define list_for_each_entry_safe(entry, following, head, member) \
	for ((entry) = list_entry((head)->next, __typeof__(*(entry)), member), \
	     (following) = list_entry((entry)->member.next, __typeof__(*(entry)), member); \
	     &(entry)->member != (head); \
	     (entry) = (following), \
	     (following) = list_entry((following)->member.next, __typeof__(*(entry)), member))

#endif
