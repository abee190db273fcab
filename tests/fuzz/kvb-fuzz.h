/* kvb-fuzz.h: what the fuzz targets share.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/* The libFuzzer entry points, also called by the replay driver of the normal build. */
int  LLVMFuzzerInitialize   (int            *argc,
                             char         ***argv);
int  LLVMFuzzerTestOneInput (const guint8   *data,
                             size_t          size);

/* Criticals and warnings abort (a parser that trips a g_return_if_fail() on some input is a
 * bug, even though a release build would carry on), and debug output is dropped. */
void      kvb_fuzz_init       (void);

/* The input as a NUL-terminated string (cut at the first NUL). */
char     *kvb_fuzz_dup_string (const guint8 *data,
                               size_t        size);

/* The input as JSON, or NULL when it is not JSON. */
JsonNode *kvb_fuzz_parse_json (const guint8 *data,
                               size_t        size);

G_END_DECLS
