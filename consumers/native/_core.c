/* The native core of the aggregator (`consumers/native/__init__.py` says when it is used): two hot loops.
 *
 * read(messages, line_type, attrs, n_groupable, metrics, limits, not_a_session) -> list[Line | None]
 * fold(labels, users, lines, derive, skip, token_usage) -> int   (FineBatch.fold's loop, see there)
 *
 * read: the native fast path of the EMF line reader (`consumers/decode/native.py`).
 * One pass over each line's UTF-8 validates the whole JSON text (RFC 8259, no escapes) and picks out what the
 * aggregates keep: `_aws.Timestamp`, the declared metric names, the values of the catalogue metrics, and the
 * attributes named in `attrs` (the groupable ones, then user.email, user.id, session.id). It returns None for a
 * line whenever anything is unusual, so the Python readers (`lines.read_fast`, then the generic parser) decide:
 * any backslash, a control character, a non-string attribute, a duplicated key it keeps, a metric outside the
 * catalogue or not declared, a missing, negative, non-finite or too large value, a timestamp that is not a plain
 * integer in range, more keys than `max_labels`, nesting deeper than MAX_DEPTH, `start_type` = agents_view, a kept
 * value longer than `max_value_chars` bytes. What it accepts, it reads exactly as the generic parser does
 * (tests/decode/test_native_reader.py proves it with hypothesis).
 *
 * No global state; nothing is kept between calls (equal values within one call share a str object). Bounds: every read checks the end pointer; recursion is
 * limited to MAX_DEPTH levels.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <string.h>
#include <math.h>
#include <stdint.h>

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

static inline void skip_ws(Scan *c) {
    while (c->p < c->e && (*c->p == ' ' || *c->p == '\t' || *c->p == '\n' || *c->p == '\r')) c->p++;
}

static inline int expect(Scan *c, char ch) {
    skip_ws(c);
    if (c->p >= c->e || *c->p != ch) return REJECT;
    c->p++;
    return 0;
}

/* A string without escapes or control characters; `out` spans its content. */
static inline int scan_string(Scan *c, Span *out) {
    skip_ws(c);
    if (c->p >= c->e || *c->p != '"') return REJECT;
    const char *q = ++c->p;
    while (q < c->e) {
        unsigned char ch = (unsigned char)*q;
        if (ch == '"') break;
        if (ch < 0x20 || ch == '\\') return REJECT;
        q++;
    }
    if (q >= c->e) return REJECT;
    out->s = c->p;
    out->n = q - c->p;
    c->p = q + 1;
    return 0;
}

/* A JSON number: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?; `plain` is 1 for an integer without sign,
   fraction or exponent. */
static inline int scan_number(Scan *c, Span *out, int *plain, int *negative) {
    skip_ws(c);
    const char *q = c->p, *start = c->p;
    *plain = 1;
    *negative = 0;
    if (q < c->e && *q == '-') {
        *negative = 1;
        *plain = 0;
        q++;
    }
    if (q >= c->e) return REJECT;
    if (*q == '0') {
        q++;
    } else if (*q >= '1' && *q <= '9') {
        while (q < c->e && *q >= '0' && *q <= '9') q++;
    } else {
        return REJECT;
    }
    if (q < c->e && *q == '.') {
        *plain = 0;
        q++;
        if (q >= c->e || *q < '0' || *q > '9') return REJECT;
        while (q < c->e && *q >= '0' && *q <= '9') q++;
    }
    if (q < c->e && (*q == 'e' || *q == 'E')) {
        *plain = 0;
        q++;
        if (q < c->e && (*q == '+' || *q == '-')) q++;
        if (q >= c->e || *q < '0' || *q > '9') return REJECT;
        while (q < c->e && *q >= '0' && *q <= '9') q++;
    }
    out->s = start;
    out->n = q - start;
    c->p = q;
    return 0;
}

static inline int scan_literal(Scan *c, const char *word, Py_ssize_t n) {
    if (c->e - c->p < n || memcmp(c->p, word, (size_t)n) != 0) return REJECT;
    c->p += n;
    return 0;
}

static int skip_value(Scan *c, int depth);

/* After '{' or '[': 1 if the container closes at once, 0 if it has members. */
static inline int closes(Scan *c, char close) {
    skip_ws(c);
    if (c->p < c->e && *c->p == close) {
        c->p++;
        return 1;
    }
    return 0;
}

/* After a member: 1 at the closing bracket, 0 after a comma, REJECT otherwise. */
static inline int next_member(Scan *c, char close) {
    skip_ws(c);
    if (c->p >= c->e) return REJECT;
    if (*c->p == ',') {
        c->p++;
        return 0;
    }
    if (*c->p == close) {
        c->p++;
        return 1;
    }
    return REJECT;
}

static inline int object_key(Scan *c, Span *key) {
    if (scan_string(c, key) < 0 || expect(c, ':') < 0) return REJECT;
    c->keys++;
    return 0;
}

static int skip_value(Scan *c, int depth) {
    if (depth > MAX_DEPTH) return REJECT;
    skip_ws(c);
    if (c->p >= c->e) return REJECT;
    Span s;
    int plain, negative, end;
    switch (*c->p) {
        case '"':
            return scan_string(c, &s);
        case '{':
            c->p++;
            if (closes(c, '}')) return 0;
            do {
                if (object_key(c, &s) < 0 || skip_value(c, depth + 1) < 0) return REJECT;
            } while ((end = next_member(c, '}')) == 0);
            return end < 0 ? REJECT : 0;
        case '[':
            c->p++;
            if (closes(c, ']')) return 0;
            do {
                if (skip_value(c, depth + 1) < 0) return REJECT;
            } while ((end = next_member(c, ']')) == 0);
            return end < 0 ? REJECT : 0;
        case 't':
            return scan_literal(c, "true", 4);
        case 'f':
            return scan_literal(c, "false", 5);
        case 'n':
            return scan_literal(c, "null", 4);
        default:
            return scan_number(c, &s, &plain, &negative);
    }
}

static inline int span_is(Span a, const char *lit, Py_ssize_t n) { return a.n == n && memcmp(a.s, lit, (size_t)n) == 0; }

static inline int find(const Span *table, int count, Span key) {
    for (int i = 0; i < count; i++) {
        if (table[i].n == key.n && memcmp(table[i].s, key.s, (size_t)key.n) == 0) return i;
    }
    return -1;
}

/* {"Name": <catalogue metric>, "Unit": <string or null>, ...} */
static int scan_metric_entry(Scan *c, const Config *cfg, int depth) {
    if (expect(c, '{') < 0) return REJECT;
    int name = -1, seen_name = 0, seen_unit = 0, end;
    Span key, s;
    if (closes(c, '}')) return REJECT; /* no Name */
    do {
        if (object_key(c, &key) < 0) return REJECT;
        if (span_is(key, "Name", 4)) {
            if (seen_name++ || scan_string(c, &s) < 0) return REJECT;
            name = find(cfg->metrics, cfg->n_metrics, s);
            if (name < 0) return REJECT; /* not in the catalogue: the generic path keeps it generically */
        } else if (span_is(key, "Unit", 4)) {
            if (seen_unit++) return REJECT;
            skip_ws(c);
            if (c->p < c->e && *c->p == 'n') {
                if (scan_literal(c, "null", 4) < 0) return REJECT;
            } else if (scan_string(c, &s) < 0) {
                return REJECT;
            }
        } else if (skip_value(c, depth + 1) < 0) {
            return REJECT;
        }
    } while ((end = next_member(c, '}')) == 0);
    if (end < 0 || name < 0) return REJECT;
    if (c->declared_seen[name] || c->n_declared >= MAX_METRICS) return REJECT; /* declared twice */
    c->declared_seen[name] = 1;
    c->declared[c->n_declared++] = name;
    return 0;
}

/* [[string, ...], ...] */
static int scan_dimensions(Scan *c) {
    Span s;
    int end, inner;
    if (expect(c, '[') < 0) return REJECT;
    if (closes(c, ']')) return 0;
    do {
        if (expect(c, '[') < 0) return REJECT;
        if (!closes(c, ']')) {
            do {
                if (scan_string(c, &s) < 0) return REJECT;
            } while ((inner = next_member(c, ']')) == 0);
            if (inner < 0) return REJECT;
        }
    } while ((end = next_member(c, ']')) == 0);
    return end < 0 ? REJECT : 0;
}

/* {"Metrics": [entry, ...], "Dimensions": [[...]], ...} */
static int scan_directive(Scan *c, const Config *cfg, int depth) {
    Span key;
    int seen_metrics = 0, seen_dims = 0, end, inner;
    if (expect(c, '{') < 0) return REJECT;
    if (closes(c, '}')) return 0;
    do {
        if (object_key(c, &key) < 0) return REJECT;
        if (span_is(key, "Metrics", 7)) {
            if (seen_metrics++ || expect(c, '[') < 0) return REJECT;
            if (!closes(c, ']')) {
                do {
                    if (scan_metric_entry(c, cfg, depth + 2) < 0) return REJECT;
                } while ((inner = next_member(c, ']')) == 0);
                if (inner < 0) return REJECT;
            }
        } else if (span_is(key, "Dimensions", 10)) {
            if (seen_dims++ || scan_dimensions(c) < 0) return REJECT;
        } else if (skip_value(c, depth + 1) < 0) {
            return REJECT;
        }
    } while ((end = next_member(c, '}')) == 0);
    return end < 0 ? REJECT : 0;
}

/* A plain integer of at most MAX_TIMESTAMP_DIGITS digits. */
static int scan_timestamp(Scan *c) {
    Span s;
    int plain, negative;
    if (scan_number(c, &s, &plain, &negative) < 0 || !plain || s.n > MAX_TIMESTAMP_DIGITS) return REJECT;
    long long v = 0;
    for (Py_ssize_t i = 0; i < s.n; i++) v = v * 10 + (s.s[i] - '0');
    c->timestamp = v;
    c->has_timestamp = 1;
    return 0;
}

/* {"Timestamp": <int>, "CloudWatchMetrics": [directive, ...], ...} */
static int scan_aws(Scan *c, const Config *cfg) {
    Span key;
    int end, inner;
    if (expect(c, '{') < 0) return REJECT;
    if (closes(c, '}')) return REJECT; /* no Timestamp */
    do {
        if (object_key(c, &key) < 0) return REJECT;
        if (span_is(key, "Timestamp", 9)) {
            if (c->has_timestamp || scan_timestamp(c) < 0) return REJECT;
        } else if (span_is(key, "CloudWatchMetrics", 17)) {
            if (c->has_directives++ || expect(c, '[') < 0) return REJECT;
            if (!closes(c, ']')) {
                do {
                    if (scan_directive(c, cfg, 3) < 0) return REJECT;
                } while ((inner = next_member(c, ']')) == 0);
                if (inner < 0) return REJECT;
            }
        } else if (skip_value(c, 2) < 0) {
            return REJECT;
        }
    } while ((end = next_member(c, '}')) == 0);
    return end < 0 ? REJECT : 0;
}

/* A metric value: a non-negative finite number up to MAX_VALUE. */
static int scan_value(Scan *c, double *out) {
    Span s;
    int plain, negative;
    char buf[MAX_NUMBER_CHARS + 1];
    if (scan_number(c, &s, &plain, &negative) < 0 || negative || s.n > MAX_NUMBER_CHARS) return REJECT;
    memcpy(buf, s.s, (size_t)s.n);
    buf[s.n] = '\0';
    double v = PyOS_string_to_double(buf, NULL, NULL);
    if (v == -1.0 && PyErr_Occurred()) {
        PyErr_Clear();
        return REJECT;
    }
    if (!isfinite(v) || v < 0 || v > MAX_VALUE) return REJECT;
    *out = v;
    return 0;
}

static const char METRIC_PREFIX[] = "claude_code.";
#define METRIC_PREFIX_LEN 12

/* 0 and the scan filled in when the line is ordinary; REJECT otherwise. */
static int scan_line(Scan *c, const Config *cfg) {
    Span key, s;
    int end;
    if (expect(c, '{') < 0) return REJECT;
    if (closes(c, '}')) return REJECT;
    do {
        if (object_key(c, &key) < 0) return REJECT;
        int i;
        if (key.n >= METRIC_PREFIX_LEN && memcmp(key.s, METRIC_PREFIX, METRIC_PREFIX_LEN) == 0) {
            i = find(cfg->metrics, cfg->n_metrics, key);
            if (i < 0 || c->value_seen[i] || scan_value(c, &c->value[i]) < 0) return REJECT;
            c->value_seen[i] = 1;
        } else if ((i = find(cfg->attrs, cfg->n_attrs, key)) >= 0) {
            if (c->attr_seen[i] || scan_string(c, &c->attr_value[i]) < 0) return REJECT;
            if (c->attr_value[i].n > cfg->max_value_chars) return REJECT; /* the generic path cuts it */
            c->attr_seen[i] = 1;
        } else if (span_is(key, "_aws", 4)) {
            if (c->has_aws++ || scan_aws(c, cfg) < 0) return REJECT;
        } else if (span_is(key, "Version", 7)) {
            if (skip_value(c, 1) < 0) return REJECT; /* reserved: any value */
        } else {
            if (scan_string(c, &s) < 0) return REJECT; /* any other attribute: a string */
            /* the `claude agents` UI: the generic path leaves its session out (a prefix: it may cut the value) */
            if (span_is(key, "start_type", 10) && s.n >= cfg->not_a_session.n &&
                memcmp(s.s, cfg->not_a_session.s, (size_t)cfg->not_a_session.n) == 0)
                return REJECT;
        }
        if (c->keys > cfg->max_labels) return REJECT;
    } while ((end = next_member(c, '}')) == 0);
    if (end < 0) return REJECT;
    skip_ws(c);
    if (c->p != c->e) return REJECT; /* trailing text */
    if (!c->has_timestamp || c->timestamp < cfg->min_ts || c->timestamp >= cfg->max_ts) return REJECT;
    if (c->n_declared == 0 || c->n_declared > cfg->max_points) return REJECT;
    /* exactly the declared metrics carry values */
    for (int i = 0; i < cfg->n_metrics; i++) {
        if (c->value_seen[i] != c->declared_seen[i]) return REJECT;
    }
    return 0;
}

/* Equal attribute values of one call share one str object (a record's lines repeat the same users, sessions, teams
   and models), so each is built and hashed once per record: open addressing over the value's bytes. The spans point
   into the messages, which the caller's list keeps alive for the whole call. Full → plain new strings. */
#define INTERN_SLOTS 4096
#define INTERN_MAX_FILL (INTERN_SLOTS / 4 * 3)

typedef struct {
    Span key;
    PyObject *value;
} InternSlot;

typedef struct {
    InternSlot *slots;
    int used;
} Interned;

static PyObject *string_of(Interned *t, Span s) {
    uint64_t h = 1469598103934665603ULL; /* FNV-1a */
    for (Py_ssize_t i = 0; i < s.n; i++) h = (h ^ (unsigned char)s.s[i]) * 1099511628211ULL;
    if (t->slots) {
        size_t at = (size_t)h & (INTERN_SLOTS - 1);
        for (;;) {
            InternSlot *slot = &t->slots[at];
            if (!slot->value) break;
            if (slot->key.n == s.n && memcmp(slot->key.s, s.s, (size_t)s.n) == 0) return Py_NewRef(slot->value);
            at = (at + 1) & (INTERN_SLOTS - 1);
        }
        PyObject *v = PyUnicode_DecodeUTF8(s.s, s.n, "strict");
        if (v && t->used < INTERN_MAX_FILL) {
            t->slots[at].key = s;
            t->slots[at].value = Py_NewRef(v);
            t->used++;
        }
        return v;
    }
    return PyUnicode_DecodeUTF8(s.s, s.n, "strict");
}

static void interned_clear(Interned *t) {
    if (!t->slots) return;
    for (int i = 0; i < INTERN_SLOTS; i++) Py_XDECREF(t->slots[i].value);
    PyMem_Free(t->slots);
    t->slots = NULL;
}

/* The Line for a scanned line: line_type(index, timestamp_ms, signature, user, session, values). */
static PyObject *build_line(const Scan *c, Interned *strings, Py_ssize_t index, PyObject *line_type,
                            PyObject *metric_names, int n_groupable) {
    PyObject *args[6] = {NULL, NULL, NULL, NULL, NULL, NULL};
    PyObject *result = NULL;
    int email = n_groupable, id = n_groupable + 1, session = n_groupable + 2;
    if (!(args[0] = PyLong_FromSsize_t(index))) goto done;
    if (!(args[1] = PyLong_FromLongLong(c->timestamp))) goto done;
    if (!(args[2] = PyTuple_New(n_groupable))) goto done;
    for (int i = 0; i < n_groupable; i++) {
        PyObject *v;
        if (c->attr_seen[i]) {
            if (!(v = string_of(strings, c->attr_value[i]))) goto done;
        } else {
            v = Py_NewRef(Py_None);
        }
        PyTuple_SET_ITEM(args[2], i, v);
    }
    /* user.email, else user.id, else None (an empty string counts as missing) */
    if (c->attr_seen[email] && c->attr_value[email].n > 0) {
        args[3] = string_of(strings, c->attr_value[email]);
    } else if (c->attr_seen[id] && c->attr_value[id].n > 0) {
        args[3] = string_of(strings, c->attr_value[id]);
    } else {
        args[3] = Py_NewRef(Py_None);
    }
    if (!args[3]) goto done;
    args[4] = c->attr_seen[session] ? string_of(strings, c->attr_value[session]) : Py_NewRef(Py_None);
    if (!args[4]) goto done;
    if (!(args[5] = PyList_New(c->n_declared))) goto done;
    for (int k = 0; k < c->n_declared; k++) {
        int m = c->declared[k];
        PyObject *pair = PyTuple_New(2), *value;
        if (!pair) goto done;
        PyList_SET_ITEM(args[5], k, pair);
        PyTuple_SET_ITEM(pair, 0, Py_NewRef(PyTuple_GET_ITEM(metric_names, m)));
        if (!(value = PyFloat_FromDouble(c->value[m]))) goto done;
        PyTuple_SET_ITEM(pair, 1, value);
    }
    result = PyObject_Vectorcall(line_type, args, 6, NULL);
done:
    for (int i = 0; i < 6; i++) Py_XDECREF(args[i]);
    return result;
}

static int spans_of(PyObject *names, Span *out, int max, int *count) {
    if (!PyTuple_Check(names) || PyTuple_GET_SIZE(names) > max) {
        PyErr_SetString(PyExc_ValueError, "expected a tuple of at most 16 (attrs) or 32 (metrics) names");
        return -1;
    }
    *count = (int)PyTuple_GET_SIZE(names);
    for (int i = 0; i < *count; i++) {
        PyObject *name = PyTuple_GET_ITEM(names, i);
        if (!PyUnicode_Check(name)) {
            PyErr_SetString(PyExc_TypeError, "names must be str");
            return -1;
        }
        out[i].s = PyUnicode_AsUTF8AndSize(name, &out[i].n);
        if (!out[i].s) return -1;
    }
    return 0;
}

/* The configuration both entry points take: attrs, n_groupable, metrics, limits, not_a_session. */
static int config_of(Config *cfg, PyObject *const *args) {
    memset(cfg, 0, sizeof *cfg);
    long n_groupable = PyLong_AsLong(args[1]);
    if (n_groupable == -1 && PyErr_Occurred()) return -1;
    if (spans_of(args[0], cfg->attrs, MAX_ATTRS, &cfg->n_attrs) < 0 ||
        spans_of(args[2], cfg->metrics, MAX_METRICS, &cfg->n_metrics) < 0)
        return -1;
    if (n_groupable < 0 || n_groupable + 3 != cfg->n_attrs) {
        PyErr_SetString(PyExc_ValueError, "attrs must be the groupable attributes, user.email, user.id, session.id");
        return -1;
    }
    cfg->n_groupable = (int)n_groupable;
    if (!PyTuple_Check(args[3]) ||
        !PyArg_ParseTuple(args[3], "nnnnLL", &cfg->max_line_chars, &cfg->max_value_chars, &cfg->max_labels,
                          &cfg->max_points, &cfg->min_ts, &cfg->max_ts)) {
        if (!PyErr_Occurred()) PyErr_SetString(PyExc_TypeError, "limits must be a tuple");
        return -1;
    }
    if (!PyUnicode_Check(args[4])) {
        PyErr_SetString(PyExc_TypeError, "not_a_session must be str");
        return -1;
    }
    cfg->not_a_session.s = PyUnicode_AsUTF8AndSize(args[4], &cfg->not_a_session.n);
    return cfg->not_a_session.s ? 0 : -1;
}

/* Scan one message into `scan`: 0 when it is an ordinary line, REJECT otherwise (never an exception). */
static int scan_message(PyObject *message, const Config *cfg, Scan *scan) {
    if (!PyUnicode_Check(message) || PyUnicode_GET_LENGTH(message) > cfg->max_line_chars) return REJECT;
    Py_ssize_t size;
    const char *text = PyUnicode_AsUTF8AndSize(message, &size);
    if (!text) {
        PyErr_Clear(); /* e.g. a lone surrogate: the Python readers decide */
        return REJECT;
    }
    memset(scan, 0, sizeof *scan);
    scan->p = text;
    scan->e = text + size;
    return scan_line(scan, cfg);
}

static PyObject *core_read(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    (void)self;
    if (nargs != 7) {
        PyErr_SetString(PyExc_TypeError,
                        "read(messages, line_type, attrs, n_groupable, metrics, limits, not_a_session)");
        return NULL;
    }
    PyObject *messages = args[0], *line_type = args[1];
    Config cfg;
    if (!PyList_Check(messages)) {
        PyErr_SetString(PyExc_TypeError, "messages must be a list of str");
        return NULL;
    }
    if (config_of(&cfg, args + 2) < 0) return NULL;
    Py_ssize_t n = PyList_GET_SIZE(messages);
    PyObject *out = PyList_New(n);
    if (!out) return NULL;
    Scan scan;
    Interned strings = {PyMem_Calloc(INTERN_SLOTS, sizeof(InternSlot)), 0}; /* NULL: no sharing, still correct */
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *line = NULL;
        if (scan_message(PyList_GET_ITEM(messages, i), &cfg, &scan) == 0) {
            line = build_line(&scan, &strings, i, line_type, args[4], cfg.n_groupable);
            if (!line) {
                interned_clear(&strings);
                Py_DECREF(out);
                return NULL;
            }
        }
        PyList_SET_ITEM(out, i, line ? line : Py_NewRef(Py_None));
    }
    interned_clear(&strings);
    return out;
}

/* fold: exactly `FineBatch.fold` (consumers/aggregates/batch.py), same operations in the same order, so the sums
   are bit-for-bit the Python loop's (tests/core/test_native_fold.py). Per line: labels[(minute, signature)] =
   [sums, points] and users[(minute, user)] = [sums, sessions]; token usage also priced per user with derive. */
static int add_to(PyObject *sums, PyObject *metric, PyObject *v, PyObject *zero) {
    PyObject *old = PyDict_GetItemWithError(sums, metric); /* borrowed */
    if (!old && PyErr_Occurred()) return -1;
    PyObject *total = PyNumber_Add(old ? old : zero, v);
    if (!total) return -1;
    int rc = PyDict_SetItem(sums, metric, total);
    Py_DECREF(total);
    return rc;
}

/* dict[key] or, when missing, a new [{}, second] stored there (borrowed either way). */
static PyObject *entry_of(PyObject *dict, PyObject *key, PyObject *(*second)(void)) {
    PyObject *entry = PyDict_GetItemWithError(dict, key);
    if (entry || PyErr_Occurred()) return entry;
    PyObject *sums = PyDict_New(), *other = sums ? second() : NULL;
    if (!other) {
        Py_XDECREF(sums);
        return NULL;
    }
    entry = PyList_New(2);
    if (!entry) {
        Py_DECREF(sums);
        Py_DECREF(other);
        return NULL;
    }
    PyList_SET_ITEM(entry, 0, sums);
    PyList_SET_ITEM(entry, 1, other);
    int rc = PyDict_SetItem(dict, key, entry);
    Py_DECREF(entry);
    return rc < 0 ? NULL : entry;
}

static PyObject *new_zero(void) { return PyLong_FromLong(0); }
static PyObject *new_set(void) { return PySet_New(NULL); }

#define MINUTE_MS 60000LL

static PyObject *core_fold(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    (void)self;
    if (nargs != 6) {
        PyErr_SetString(PyExc_TypeError, "fold(labels, users, lines, derive, skip, token_usage)");
        return NULL;
    }
    PyObject *labels = args[0], *users = args[1], *lines = args[2], *derive = args[3], *skip = args[4];
    PyObject *token_usage = args[5];
    if (!PyDict_Check(labels) || !PyDict_Check(users) || !PyList_Check(lines)) {
        PyErr_SetString(PyExc_TypeError, "labels and users must be dicts, lines a list");
        return NULL;
    }
    int skipping = skip != Py_None && PyObject_IsTrue(skip);
    if (skipping < 0) return NULL;
    PyObject *zero = PyFloat_FromDouble(0.0);
    if (!zero) return NULL;
    PyObject *names[6] = {NULL, NULL, NULL, NULL, NULL, NULL};
    static const char *const fields[6] = {"index", "timestamp_ms", "signature", "values", "user", "session"};
    for (int f = 0; f < 6; f++) {
        if (!(names[f] = PyUnicode_InternFromString(fields[f]))) {
            for (int g = 0; g < f; g++) Py_DECREF(names[g]);
            Py_DECREF(zero);
            return NULL;
        }
    }
    long long points = 0;
    PyObject *minute = NULL, *key = NULL, *index = NULL, *ts = NULL, *sig = NULL, *values = NULL, *user = NULL;
    PyObject *session = NULL, *count = NULL, *derived = NULL;
    Py_ssize_t n = PyList_GET_SIZE(lines);
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *line = PyList_GET_ITEM(lines, i);
        if (skipping) {
            if (!(index = PyObject_GetAttr(line, names[0]))) goto fail;
            int late = PySequence_Contains(skip, index);
            Py_CLEAR(index);
            if (late < 0) goto fail;
            if (late) continue;
        }
        if (!(ts = PyObject_GetAttr(line, names[1]))) goto fail;
        long long t = PyLong_AsLongLong(ts);
        Py_CLEAR(ts);
        if (t == -1 && PyErr_Occurred()) goto fail;
        long long r = t % MINUTE_MS;
        if (r < 0) r += MINUTE_MS; /* Python's modulo */
        if (!(minute = PyLong_FromLongLong(t - r))) goto fail;
        if (!(sig = PyObject_GetAttr(line, names[2]))) goto fail;
        if (!(values = PyObject_GetAttr(line, names[3]))) goto fail;
        if (!PyList_Check(values)) {
            PyErr_SetString(PyExc_TypeError, "Line.values must be a list");
            goto fail;
        }
        Py_ssize_t nv = PyList_GET_SIZE(values);
        if (!(key = PyTuple_Pack(2, minute, sig))) goto fail;
        PyObject *entry = entry_of(labels, key, new_zero); /* borrowed */
        Py_CLEAR(key);
        if (!entry) goto fail;
        PyObject *sums = PyList_GET_ITEM(entry, 0);
        for (Py_ssize_t k = 0; k < nv; k++) {
            PyObject *pair = PyList_GET_ITEM(values, k);
            if (!PyTuple_Check(pair) || PyTuple_GET_SIZE(pair) != 2) {
                PyErr_SetString(PyExc_TypeError, "Line.values must hold (metric, value) tuples");
                goto fail;
            }
            if (add_to(sums, PyTuple_GET_ITEM(pair, 0), PyTuple_GET_ITEM(pair, 1), zero) < 0) goto fail;
        }
        if (!(count = PyLong_FromSsize_t(nv))) goto fail;
        PyObject *total = PyNumber_Add(PyList_GET_ITEM(entry, 1), count);
        Py_CLEAR(count);
        if (!total) goto fail;
        PyList_SetItem(entry, 1, total); /* steals total */
        points += nv;
        if (!(user = PyObject_GetAttr(line, names[4]))) goto fail;
        if (user != Py_None) {
            if (!(key = PyTuple_Pack(2, minute, user))) goto fail;
            PyObject *uentry = entry_of(users, key, new_set); /* borrowed */
            Py_CLEAR(key);
            if (!uentry) goto fail;
            PyObject *usums = PyList_GET_ITEM(uentry, 0);
            for (Py_ssize_t k = 0; k < nv; k++) {
                PyObject *pair = PyList_GET_ITEM(values, k);
                PyObject *metric = PyTuple_GET_ITEM(pair, 0), *v = PyTuple_GET_ITEM(pair, 1);
                if (add_to(usums, metric, v, zero) < 0) goto fail;
                int is_tokens = PyObject_RichCompareBool(metric, token_usage, Py_EQ);
                if (is_tokens < 0) goto fail;
                if (is_tokens) {
                    if (!(derived = PyObject_CallFunctionObjArgs(derive, sig, v, NULL))) goto fail;
                    if (!PyTuple_Check(derived) || PyTuple_GET_SIZE(derived) != 2) {
                        PyErr_SetString(PyExc_TypeError, "derive must return a (metric, value) tuple");
                        goto fail;
                    }
                    if (add_to(usums, PyTuple_GET_ITEM(derived, 0), PyTuple_GET_ITEM(derived, 1), zero) < 0) goto fail;
                    Py_CLEAR(derived);
                }
            }
            if (!(session = PyObject_GetAttr(line, names[5]))) goto fail;
            int truthy = PyObject_IsTrue(session);
            if (truthy < 0) goto fail;
            if (truthy && PySet_Add(PyList_GET_ITEM(uentry, 1), session) < 0) goto fail;
            Py_CLEAR(session);
        }
        Py_CLEAR(user);
        Py_CLEAR(values);
        Py_CLEAR(sig);
        Py_CLEAR(minute);
    }
    for (int f = 0; f < 6; f++) Py_DECREF(names[f]);
    Py_DECREF(zero);
    return PyLong_FromLongLong(points);
fail:
    for (int f = 0; f < 6; f++) Py_DECREF(names[f]);
    Py_XDECREF(minute);
    Py_XDECREF(key);
    Py_XDECREF(index);
    Py_XDECREF(ts);
    Py_XDECREF(sig);
    Py_XDECREF(values);
    Py_XDECREF(user);
    Py_XDECREF(session);
    Py_XDECREF(count);
    Py_XDECREF(derived);
    Py_DECREF(zero);
    return NULL;
}


/* read_fold: read and fold a whole record in one call, without a Line object, when that gives exactly what
   `read_lines` + `screen` + `FineBatch.fold` give: every line ordinary (else nothing is folded and None comes back)
   and the record on time as a whole (the lateness screen's first check; else None too). Lines are folded in order
   with the same operations as `fold`, so the sums are bit for bit the same (tests/core/test_native_fold.py).
   Returns (points, watermark after the record). */
static int fold_scanned(const Scan *c, const Config *cfg, Interned *strings, PyObject *metric_names,
                        PyObject *labels, PyObject *users, PyObject *derive, PyObject *token_usage, PyObject *zero,
                        PyObject *minute, long long *points) {
    int rc = -1, n_groupable = cfg->n_groupable;
    int email = n_groupable, id = n_groupable + 1, session_at = n_groupable + 2;
    PyObject *sig = NULL, *key = NULL, *user = NULL, *session = NULL, *count = NULL, *derived = NULL;
    PyObject *values[MAX_METRICS];
    int made = 0;
    if (!(sig = PyTuple_New(n_groupable))) goto done;
    for (int i = 0; i < n_groupable; i++) {
        PyObject *v = c->attr_seen[i] ? string_of(strings, c->attr_value[i]) : Py_NewRef(Py_None);
        if (!v) goto done;
        PyTuple_SET_ITEM(sig, i, v);
    }
    for (; made < c->n_declared; made++) {
        if (!(values[made] = PyFloat_FromDouble(c->value[c->declared[made]]))) goto done;
    }
    if (!(key = PyTuple_Pack(2, minute, sig))) goto done;
    PyObject *entry = entry_of(labels, key, new_zero); /* borrowed */
    Py_CLEAR(key);
    if (!entry) goto done;
    PyObject *sums = PyList_GET_ITEM(entry, 0);
    for (int k = 0; k < c->n_declared; k++) {
        if (add_to(sums, PyTuple_GET_ITEM(metric_names, c->declared[k]), values[k], zero) < 0) goto done;
    }
    if (!(count = PyLong_FromLong(c->n_declared))) goto done;
    PyObject *total = PyNumber_Add(PyList_GET_ITEM(entry, 1), count);
    if (!total) goto done;
    PyList_SetItem(entry, 1, total); /* steals total */
    *points += c->n_declared;
    if (c->attr_seen[email] && c->attr_value[email].n > 0) {
        user = string_of(strings, c->attr_value[email]);
    } else if (c->attr_seen[id] && c->attr_value[id].n > 0) {
        user = string_of(strings, c->attr_value[id]);
    } else {
        rc = 0; /* no user: label sums only */
        goto done;
    }
    if (!user || !(key = PyTuple_Pack(2, minute, user))) goto done;
    PyObject *uentry = entry_of(users, key, new_set); /* borrowed */
    Py_CLEAR(key);
    if (!uentry) goto done;
    PyObject *usums = PyList_GET_ITEM(uentry, 0);
    for (int k = 0; k < c->n_declared; k++) {
        PyObject *metric = PyTuple_GET_ITEM(metric_names, c->declared[k]);
        if (add_to(usums, metric, values[k], zero) < 0) goto done;
        int is_tokens = PyObject_RichCompareBool(metric, token_usage, Py_EQ);
        if (is_tokens < 0) goto done;
        if (is_tokens) {
            if (!(derived = PyObject_CallFunctionObjArgs(derive, sig, values[k], NULL))) goto done;
            if (!PyTuple_Check(derived) || PyTuple_GET_SIZE(derived) != 2) {
                PyErr_SetString(PyExc_TypeError, "derive must return a (metric, value) tuple");
                goto done;
            }
            if (add_to(usums, PyTuple_GET_ITEM(derived, 0), PyTuple_GET_ITEM(derived, 1), zero) < 0) goto done;
            Py_CLEAR(derived);
        }
    }
    if (c->attr_seen[session_at] && c->attr_value[session_at].n > 0) {
        if (!(session = string_of(strings, c->attr_value[session_at]))) goto done;
        if (PySet_Add(PyList_GET_ITEM(uentry, 1), session) < 0) goto done;
    }
    rc = 0;
done:
    for (int k = 0; k < made; k++) Py_DECREF(values[k]);
    Py_XDECREF(sig);
    Py_XDECREF(key);
    Py_XDECREF(user);
    Py_XDECREF(session);
    Py_XDECREF(count);
    Py_XDECREF(derived);
    return rc;
}

static PyObject *core_read_fold(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    (void)self;
    if (nargs != 11) {
        PyErr_SetString(PyExc_TypeError,
                        "read_fold(messages, attrs, n_groupable, metrics, limits, not_a_session, labels, users, "
                        "derive, token_usage, (arrival_ms, watermark_ms, allowed_lateness_ms, max_future_ms))");
        return NULL;
    }
    PyObject *messages = args[0], *metrics = args[3], *labels = args[6], *users = args[7], *derive = args[8];
    PyObject *token_usage = args[9];
    Config cfg;
    long long arrival, watermark, allowed, max_future;
    if (!PyList_Check(messages) || !PyDict_Check(labels) || !PyDict_Check(users) || !PyTuple_Check(args[10])) {
        PyErr_SetString(PyExc_TypeError, "messages: list, labels and users: dict, lateness: tuple");
        return NULL;
    }
    if (config_of(&cfg, args + 1) < 0) return NULL;
    if (!PyArg_ParseTuple(args[10], "LLLL", &arrival, &watermark, &allowed, &max_future)) return NULL;
    Py_ssize_t n = PyList_GET_SIZE(messages);
    if (n == 0) Py_RETURN_NONE;
    Scan *scans = PyMem_Malloc((size_t)n * sizeof(Scan));
    if (!scans) return PyErr_NoMemory();
    long long lo = 0, hi = 0;
    for (Py_ssize_t i = 0; i < n; i++) {
        if (scan_message(PyList_GET_ITEM(messages, i), &cfg, &scans[i]) < 0) {
            PyMem_Free(scans);
            Py_RETURN_NONE; /* an unusual line: the Python path reads this record */
        }
        long long t = scans[i].timestamp;
        if (i == 0 || t < lo) lo = t;
        if (i == 0 || t > hi) hi = t;
    }
    /* `windows.lateness.screen`'s first check: the whole record on time */
    long long after = watermark > hi ? watermark : hi;
    int no_future = !arrival || hi <= arrival + max_future;
    if (!(no_future && lo >= after - allowed)) {
        PyMem_Free(scans);
        Py_RETURN_NONE;
    }
    PyObject *zero = PyFloat_FromDouble(0.0), *minute = NULL, *result = NULL;
    Interned strings = {PyMem_Calloc(INTERN_SLOTS, sizeof(InternSlot)), 0};
    long long points = 0, minute_ms = 0;
    if (!zero) goto done;
    for (Py_ssize_t i = 0; i < n; i++) {
        long long t = scans[i].timestamp, r = t % MINUTE_MS;
        if (r < 0) r += MINUTE_MS;
        if (!minute || t - r != minute_ms) {
            Py_XDECREF(minute);
            minute_ms = t - r;
            if (!(minute = PyLong_FromLongLong(minute_ms))) goto done;
        }
        if (fold_scanned(&scans[i], &cfg, &strings, metrics, labels, users, derive, token_usage, zero, minute,
                         &points) < 0)
            goto done;
    }
    result = Py_BuildValue("(LL)", points, after);
done:
    Py_XDECREF(minute);
    Py_XDECREF(zero);
    interned_clear(&strings);
    PyMem_Free(scans);
    return result;
}

static PyMethodDef methods[] = {
    {"fold", (PyCFunction)(void (*)(void))core_fold, METH_FASTCALL,
     "fold(labels, users, lines, derive, skip, token_usage) -> points (FineBatch.fold's loop)"},
    {"read_fold", (PyCFunction)(void (*)(void))core_read_fold, METH_FASTCALL,
     "read_fold(messages, attrs, n_groupable, metrics, limits, not_a_session, labels, users, derive, token_usage, "
     "lateness) -> (points, watermark) | None"},
    {"read", (PyCFunction)(void (*)(void))core_read, METH_FASTCALL,
     "read(messages, line_type, attrs, n_groupable, metrics, limits, not_a_session) -> list[Line | None]"},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT,
    .m_name = "_core",
    .m_doc = "Native fast path of the EMF line reader.",
    .m_size = 0,
    .m_methods = methods,
};

PyMODINIT_FUNC PyInit__core(void) { return PyModule_Create(&module); }
