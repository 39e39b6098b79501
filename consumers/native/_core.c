/* The native core of the aggregator (`consumers/native/__init__.py` says when it is used): the module and its three
 * entry points. The line scanner is in scan.c, the Python objects it builds and the dict updates in objects.c.
 *
 * read(messages, line_type, attrs, n_groupable, metrics, limits, not_a_session) -> list[Line | None]
 *   The native fast path of the EMF line reader (`consumers/decode/native.py`). One pass over each line's UTF-8
 *   validates the whole JSON text (RFC 8259, no escapes) and picks out what the aggregates keep: `_aws.Timestamp`,
 *   the declared metric names, the values of the catalogue metrics, and the attributes named in `attrs` (the
 *   groupable ones, then user.email, user.id, session.id). None for a line whenever anything is unusual, so the
 *   Python readers (`lines.read_fast`, then the generic parser) decide: any backslash, a control character, a
 *   non-string attribute, a duplicated key it keeps, a metric outside the catalogue or not declared, a missing,
 *   negative, non-finite or too large value, a timestamp that is not a plain integer in range, more keys than
 *   `max_labels`, nesting deeper than MAX_DEPTH, `start_type` = agents_view, a kept value longer than
 *   `max_value_chars` bytes. What it accepts, it reads exactly as the generic parser does
 *   (tests/decode/test_native.py, hypothesis).
 * fold(labels, users, lines, derive, skip, token_usage) -> points
 *   `FineBatch.fold`'s loop, same operations in the same order (tests/core/test_native_fold.py).
 * read_fold(messages, attrs, n_groupable, metrics, limits, not_a_session, labels, users, derive, token_usage,
 *           lateness) -> (points, watermark) | None
 *   read + lateness screen + fold of one record without building `Line`s, only when every line is ordinary and the
 *   record on time as a whole (tests/core/test_native_pipeline.py).
 *
 * No global state; nothing is kept between calls (equal values within one call share a str object). Every read of
 * the input checks the end pointer; recursion is limited to MAX_DEPTH levels.
 */
#include "objects.h"
#include "scan.h"

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
