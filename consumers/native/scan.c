/* The EMF line scanner of the native core: RFC 8259 JSON without escapes, bounds-checked, recursion-limited. */
#include "scan.h"


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

int scan_line(Scan *c, const Config *cfg) {
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

int config_of(Config *cfg, PyObject *const *args) {
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

int scan_message(PyObject *message, const Config *cfg, Scan *scan) {
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
