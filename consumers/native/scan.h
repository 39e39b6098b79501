/* The EMF line scanner of the native core (scan.c): one pass over a line's UTF-8 validates the JSON and picks out
 * what the aggregates keep. See _core.c for the contract. */
#ifndef CCSTREAM_NATIVE_SCAN_H
#define CCSTREAM_NATIVE_SCAN_H
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

#define MAX_DEPTH 32
#define MAX_ATTRS 16
#define MAX_METRICS 32
#define MAX_NUMBER_CHARS 64
#define MAX_TIMESTAMP_DIGITS 18
/* schemas.emf.MAX_VALUE */
#define MAX_VALUE 1e15

typedef struct {
    const char *s;
    Py_ssize_t n;
} Span;

typedef struct {
    Span attrs[MAX_ATTRS];
    int n_attrs;
    Span metrics[MAX_METRICS];
    int n_metrics;
    int n_groupable;
    Py_ssize_t max_line_chars, max_value_chars, max_labels, max_points;
    long long min_ts, max_ts;
    Span not_a_session;
} Config;

typedef struct {
    const char *p, *e;
    Py_ssize_t keys;
    /* what one line carries */
    Span attr_value[MAX_ATTRS];
    unsigned char attr_seen[MAX_ATTRS];
    double value[MAX_METRICS];
    unsigned char value_seen[MAX_METRICS];
    int declared[MAX_METRICS]; /* metric indices in declaration order */
    unsigned char declared_seen[MAX_METRICS];
    int n_declared;
    long long timestamp;
    int has_timestamp, has_directives, has_aws;
} Scan;

#define REJECT (-1)

/* 0 and the scan filled in when the line is ordinary; REJECT otherwise. */
int scan_line(Scan *c, const Config *cfg);
/* Scan one message into `scan`: 0 when it is an ordinary line, REJECT otherwise (never an exception). */
int scan_message(PyObject *message, const Config *cfg, Scan *scan);
/* The configuration the entry points take: attrs, n_groupable, metrics, limits, not_a_session; -1 and an exception
   when it is malformed. */
int config_of(Config *cfg, PyObject *const *args);

#endif
