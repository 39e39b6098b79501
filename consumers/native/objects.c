/* Python objects of the native core: strings shared within a call, `Line`s, and the fine batch's dict updates. */
#include "objects.h"

/* Equal attribute values of one call share one str object (a record's lines repeat the same users, sessions, teams
   and models), so each is built and hashed once per record: open addressing over the value's bytes. The spans point
   into the messages, which the caller's list keeps alive for the whole call. Full → plain new strings. */


PyObject *string_of(Interned *t, Span s) {
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

void interned_clear(Interned *t) {
    if (!t->slots) return;
    for (int i = 0; i < INTERN_SLOTS; i++) Py_XDECREF(t->slots[i].value);
    PyMem_Free(t->slots);
    t->slots = NULL;
}

/* The Line for a scanned line: line_type(index, timestamp_ms, signature, user, session, values). */
PyObject *build_line(const Scan *c, Interned *strings, Py_ssize_t index, PyObject *line_type,
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

/* fold: exactly `FineBatch.fold` (consumers/aggregates/batch.py), same operations in the same order, so the sums
   are bit-for-bit the Python loop's (tests/core/test_native_fold.py). Per line: labels[(minute, signature)] =
   [sums, points] and users[(minute, user)] = [sums, sessions]; token usage also priced per user with derive. */
int add_to(PyObject *sums, PyObject *metric, PyObject *v, PyObject *zero) {
    PyObject *old = PyDict_GetItemWithError(sums, metric); /* borrowed */
    if (!old && PyErr_Occurred()) return -1;
    PyObject *total = PyNumber_Add(old ? old : zero, v);
    if (!total) return -1;
    int rc = PyDict_SetItem(sums, metric, total);
    Py_DECREF(total);
    return rc;
}

/* dict[key] or, when missing, a new [{}, second] stored there (borrowed either way). */
PyObject *entry_of(PyObject *dict, PyObject *key, PyObject *(*second)(void)) {
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

PyObject *new_zero(void) { return PyLong_FromLong(0); }
PyObject *new_set(void) { return PySet_New(NULL); }

/* read_fold: read and fold a whole record in one call, without a Line object, when that gives exactly what
   `read_lines` + `screen` + `FineBatch.fold` give: every line ordinary (else nothing is folded and None comes back)
   and the record on time as a whole (the lateness screen's first check; else None too). Lines are folded in order
   with the same operations as `fold`, so the sums are bit for bit the same (tests/core/test_native_fold.py).
   Returns (points, watermark after the record). */
int fold_scanned(const Scan *c, const Config *cfg, Interned *strings, PyObject *metric_names,
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
