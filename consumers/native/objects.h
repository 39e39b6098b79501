/* Python objects of the native core (objects.c): shared strings, `Line`s, and the fine batch's dict updates. */
#ifndef CCSTREAM_NATIVE_OBJECTS_H
#define CCSTREAM_NATIVE_OBJECTS_H
#include "scan.h"

#define INTERN_SLOTS 4096
#define INTERN_MAX_FILL (INTERN_SLOTS / 4 * 3)
#define MINUTE_MS 60000LL

typedef struct {
    Span key;
    PyObject *value;
} InternSlot;

typedef struct {
    InternSlot *slots; /* NULL: no sharing, still correct */
    int used;
} Interned;

PyObject *string_of(Interned *t, Span s);
void interned_clear(Interned *t);
PyObject *build_line(const Scan *c, Interned *strings, Py_ssize_t index, PyObject *line_type, PyObject *metric_names,
                     int n_groupable);
int add_to(PyObject *sums, PyObject *metric, PyObject *v, PyObject *zero);
PyObject *entry_of(PyObject *dict, PyObject *key, PyObject *(*second)(void));
PyObject *new_zero(void);
PyObject *new_set(void);
int fold_scanned(const Scan *c, const Config *cfg, Interned *strings, PyObject *metric_names, PyObject *labels,
                 PyObject *users, PyObject *derive, PyObject *token_usage, PyObject *zero, PyObject *minute,
                 long long *points);

#endif
