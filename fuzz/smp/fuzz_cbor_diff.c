/*
 * libFuzzer harness: the device CBOR codec against libcbor 0.8 on the same input, aborting on
 * any disagreement beyond the documented ones (tests/smp/cbor_oracle.h): the head at every
 * offset, the whole first item (well-formedness, length, depth bound), the key-table decoder,
 * and the writer driven by the input read as a sequence of calls (buffer size = first byte).
 */
#include <stdio.h>
#include <stdlib.h>

#include "cbor_oracle.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(const char *bad, const char *what, size_t pos)
{
    if (bad != NULL) {
        fprintf(stderr, "fuzz_cbor_diff: %s: %s (offset %zu)\n", what, bad, pos);
        abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    for (size_t pos = 0; pos < size; pos++) {
        cbor_oracle_head_kind_t kind;
        check(cbor_oracle_head(data, size, pos, &kind), "head", pos);
    }
    cbor_oracle_walk_t w;
    bool loaded = false;
    check(cbor_oracle_item(data, size, &w, &loaded), "item", 0);
    int outcome = 0;
    check(cbor_oracle_map(data, size, &outcome), "key table", 0);
    if (size > 0) {
        check(cbor_oracle_writer(data + 1, size - 1, data[0], NULL, NULL), "writer", 0);
    }
    return 0;
}
