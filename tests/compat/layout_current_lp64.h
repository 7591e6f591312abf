/* The fields the current, not yet frozen minor appended (docs/ABI.md, "What
 * each minor added"), on LP64, in the form of the frozen layout files: the
 * offsets docs/ABI.md promises, checked in every build until the minor is
 * frozen (tests/compat/abi-1.N/layout_lp64.h then covers them and this file
 * lists the next minor's fields, or nothing). Included by
 * layout_assertions.h for the tree's headers only. */

/* ABI 1.2: the statement context of query events. */
NQ_LAYOUT_SIZE(nq_query_begin_event, 136, 8)
NQ_LAYOUT_FIELD(nq_query_begin_event, database, 64, 16)
NQ_LAYOUT_FIELD(nq_query_begin_event, user, 80, 16)
NQ_LAYOUT_FIELD(nq_query_begin_event, application, 96, 16)
NQ_LAYOUT_FIELD(nq_query_begin_event, trace_id, 112, 16)
NQ_LAYOUT_FIELD(nq_query_begin_event, span_id, 128, 8)
NQ_LAYOUT_SIZE(nq_query_end_event, 208, 8)
NQ_LAYOUT_FIELD(nq_query_end_event, database, 128, 16)
NQ_LAYOUT_FIELD(nq_query_end_event, user, 144, 16)
NQ_LAYOUT_FIELD(nq_query_end_event, application, 160, 16)
NQ_LAYOUT_FIELD(nq_query_end_event, trace_id, 176, 16)
NQ_LAYOUT_FIELD(nq_query_end_event, span_id, 192, 8)
NQ_LAYOUT_FIELD(nq_query_end_event, timestamp_ns, 200, 8)
