/* bench-object-list.c: how the object list copes with 100,000 secrets.
 *
 * Lists a vault of N secrets (default 100,000; every other group of 5,000 tagged) from the
 * stand-in into a KvbObjectList in a shown window, and prints one JSON line: time to the first
 * rows and to the last, the longest main-loop stalls while pages arrive (measured by a 5 ms
 * timer that should never be late), and how long filtering and sorting take on the full list.
 * KVB_BENCH_LATENCY_MS=N delays every answer of the stand-in by N ms (the first page then comes
 * after the token, the challenge and one page's round trip); the memory is this process's
 * resident size with the list loaded.
 *
 *     bash build-aux/headless-session.sh BUILD/benchmarks/gui/bench-object-list [N]
 *
 * (KVB_BUILD_ROOT must name the build folder, as in the test environment; `meson test
 * --benchmark` sets it.)  Not part of the test run.
 */

#include "config.h"

#include <adwaita.h>
#include <glib/gstdio.h>
#include <time.h>
#include <unistd.h>

#include "kvb-object-list.h"
#include "kvb-pipeline.h"
#include "kvb-service-principal-credential.h"
#include "kvb-test-emulator.h"

#define TICK_MS 5

typedef struct
{
  gint64  last;
  gint64  worst;
  guint   over_50ms;
  guint   over_100ms;
} Stalls;

static gboolean
tick_cb (gpointer data)
{
  Stalls *stalls = data;
  gint64 now = g_get_monotonic_time ();
  gint64 late = now - stalls->last - TICK_MS * 1000;

  if (stalls->last != 0)
    {
      stalls->worst = MAX (stalls->worst, late);
      stalls->over_50ms += late > 50000;
      stalls->over_100ms += late > 100000;
    }
  stalls->last = now;
  return G_SOURCE_CONTINUE;
}

/* CPU time of this thread: on a busy machine the wall-clock figures include waiting for a CPU,
 * the CPU time does not. */
static gint64
cpu_us (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_THREAD_CPUTIME_ID, &ts);
  return ts.tv_sec * G_USEC_PER_SEC + ts.tv_nsec / 1000;
}

/* The view's share of each page: a handler before the view's and one after it. */
typedef struct
{
  gint64 before;
  gint64 before_cpu;
  gint64 total;
  gint64 worst;
  gint64 worst_cpu;
} PageWork;

static gint64 first_page;

static void
page_before_cb (GListModel *model, guint position, guint removed, guint added, PageWork *work)
{
  if (first_page == 0 && added > 0)
    first_page = g_get_monotonic_time ();
  work->before = g_get_monotonic_time ();
  work->before_cpu = cpu_us ();
}

static void
page_after_cb (GListModel *model, guint position, guint removed, guint added, PageWork *work)
{
  gint64 spent = g_get_monotonic_time () - work->before;

  work->total += spent;
  work->worst = MAX (work->worst, spent);
  work->worst_cpu = MAX (work->worst_cpu, cpu_us () - work->before_cpu);
}

static double
ms_since (gint64 start)
{
  return (g_get_monotonic_time () - start) / 1000.0;
}

static guint
n_shown (KvbObjectList *list)
{
  return g_list_model_get_n_items (G_LIST_MODEL (kvb_object_list_get_selection_model (list)));
}

/* Until the next frame has been drawn, so that the figure includes what a person waits for. */
static void
wait_frame (GtkWidget *widget)
{
  GdkFrameClock *clock = gtk_widget_get_frame_clock (widget);
  gint64 counter = gdk_frame_clock_get_frame_counter (clock);
  gint64 end = g_get_monotonic_time () + 2 * G_USEC_PER_SEC;

  gtk_widget_queue_draw (widget);
  while (gdk_frame_clock_get_frame_counter (clock) <= counter + 1 && g_get_monotonic_time () < end)
    g_main_context_iteration (NULL, TRUE);
}

/* The resident memory of this process now and at its peak, in MB. */
static void
memory_mb (double *rss,
           double *peak)
{
  g_autofree char *status = NULL;
  const char *p;

  *rss = *peak = 0;
  if (!g_file_get_contents ("/proc/self/status", &status, NULL, NULL))
    return;
  if ((p = strstr (status, "VmRSS:")) != NULL)
    *rss = g_ascii_strtod (p + 6, NULL) / 1024;
  if ((p = strstr (status, "VmHWM:")) != NULL)
    *peak = g_ascii_strtod (p + 6, NULL) / 1024;
}

static double filter_sync_worst;
static double filter_cpu_worst;

/* The time to the next drawn frame; the worst time spent in the filter call itself (the main
 * loop blocked, not counting the frame) goes to filter_sync_worst. */
static double
time_filter (KvbObjectList *list,
             const char    *text)
{
  gint64 start = g_get_monotonic_time ();
  gint64 start_cpu = cpu_us ();

  double call_ms, call_cpu_ms;

  kvb_object_list_set_filter_text (list, text);
  call_ms = ms_since (start);
  call_cpu_ms = (cpu_us () - start_cpu) / 1000.0;
  filter_sync_worst = MAX (filter_sync_worst, call_ms);
  filter_cpu_worst = MAX (filter_cpu_worst, call_cpu_ms);
  wait_frame (GTK_WIDGET (list));
  g_printerr ("filter \"%s\": call %.1f ms (CPU %.1f ms), next frame after %.1f ms (CPU %.1f ms)\n",
              text, call_ms, call_cpu_ms, ms_since (start), (cpu_us () - start_cpu) / 1000.0);
  return ms_since (start);
}

/* The stand-in makes at most 5,000 objects of one seed entry ("count"). */
static char *
write_seed (guint n_objects)
{
  g_autoptr(GString) json = g_string_new (NULL);
  g_autoptr(GError) error = NULL;
  char *path = NULL;
  int fd;

  g_string_append (json,
    "{\"master_key\":\"a3ZiLW9iamVjdC1saXN0LXRlc3QtbWFzdGVyLWtleSE=\","
    "\"tenants\":[{\"id\":\"6b1f0e2a-0000-4000-8000-00000000e001\",\"domain\":\"fabrikam.example\"}],"
    "\"subscriptions\":[{\"id\":\"4e2c7a1b-0000-4000-8000-00000000e101\",\"display_name\":\"Bench\"}],"
    "\"identities\":[{\"object_id\":\"1a2b3c4d-0000-4000-8000-00000000e201\",\"kind\":\"service-principal\","
    "\"sample\":true,\"name\":\"kvb-bench\",\"client_id\":\"5c6d7e8f-0000-4000-8000-00000000e301\","
    "\"client_secret\":\"bench-secret\"}],"
    "\"vaults\":[{\"name\":\"kvb-bench\",\"subscription\":\"4e2c7a1b-0000-4000-8000-00000000e101\","
    "\"location\":\"westeurope\",\"permission_model\":\"rbac\","
    "\"permissions\":{\"1a2b3c4d-0000-4000-8000-00000000e201\":[\"*\"]},\"secrets\":[");
  for (guint i = 0; i * 5000 < n_objects; i++)
    g_string_append_printf (json, "%s{\"name\":\"s%02u\",\"count\":%u%s}", i > 0 ? "," : "", i,
                            MIN (5000, n_objects - i * 5000),
                            i % 2 ? ",\"tags\":{\"team\":\"payments\"}" : "");
  g_string_append (json, "]}]}");

  fd = g_file_open_tmp ("kvb-bench-XXXXXX.json", &path, &error);
  g_assert_no_error (error);
  close (fd);
  g_file_set_contents (path, json->str, json->len, &error);
  g_assert_no_error (error);
  return path;
}

int
main (int   argc,
      char *argv[])
{
  guint n_objects = argc > 1 ? (guint) g_ascii_strtoull (argv[1], NULL, 10) : 100000;
  g_autofree char *seed = NULL;
  g_autofree char *latency = g_strdup (g_getenv ("KVB_BENCH_LATENCY_MS") ?: "0");
  const char *args[] = { "--seed", NULL, "--throttle", "off", "--no-proxy", "--latency-ms", latency, NULL };
  g_autoptr(GError) error = NULL;
  g_autoptr(KvbTestEmulator) emu = NULL;
  g_autoptr(KvbCloud) cloud = NULL;
  g_autoptr(KvbPipeline) pipeline = NULL;
  g_autoptr(KvbCredential) cred = NULL;
  g_autoptr(KvbKeyVaultClient) client = NULL;
  g_autoptr(KvbObjectListing) listing = NULL;
  KvbObjectList *list;
  GtkWindow *window;
  GtkColumnView *view;
  GListModel *columns;
  g_autoptr(GtkColumnViewColumn) name_column = NULL;
  Stalls stalls = { 0 };
  PageWork work = { 0 };
  guint next_report = 10000;
  guint tick;
  gint64 start, start_cpu, list_start, first = 0, end;
  double sort_cpu;
  double rss_listed, peak_listed;
  double t_type, t_narrow, t_widen, t_clear, t_tag, t_sort;
  double key_worst = 0;
  guint n_type, n_narrow, n_tag;

  gtk_init ();
  adw_init ();

  seed = write_seed (n_objects);
  args[1] = seed;

  emu = kvb_test_emulator_start (args, &error);
  if (emu == NULL)
    g_error ("Cannot start the stand-in: %s", error->message);
  cloud = kvb_test_emulator_new_cloud (emu);
  pipeline = kvb_pipeline_new ();
  cred = KVB_CREDENTIAL (kvb_service_principal_credential_new_with_secret (
      pipeline, cloud, emu->tenant, emu->client_id, emu->client_secret));
  client = kvb_keyvault_client_new (pipeline, cloud, cred, "kvb-bench", &error);
  g_assert_no_error (error);

  listing = kvb_object_listing_new (client, KVB_OBJECT_KIND_SECRET, FALSE);
  list = KVB_OBJECT_LIST (kvb_object_list_new ());
  /* KVB_BENCH_NO_VIEW=1: the listing alone, to tell the stand-in's share from the view's. */
  g_signal_connect (listing, "items-changed", G_CALLBACK (page_before_cb), &work);
  if (g_getenv ("KVB_BENCH_NO_VIEW") == NULL)
    kvb_object_list_set_listing (list, listing);
  g_signal_connect (listing, "items-changed", G_CALLBACK (page_after_cb), &work);
  window = GTK_WINDOW (gtk_window_new ());
  gtk_window_set_default_size (window, 1000, 700);
  gtk_window_set_child (window, GTK_WIDGET (list));
  gtk_window_present (window);
  while (!gtk_widget_get_mapped (GTK_WIDGET (list)))
    g_main_context_iteration (NULL, TRUE);

  tick = g_timeout_add_full (G_PRIORITY_HIGH, TICK_MS, tick_cb, &stalls, NULL);
  list_start = g_get_monotonic_time ();
  kvb_object_listing_reload (listing);
  while (kvb_object_listing_get_loading (listing))
    {
      g_main_context_iteration (NULL, TRUE);
      if (first == 0 && n_shown (list) > 0)
        first = g_get_monotonic_time ();
      if (g_list_model_get_n_items (G_LIST_MODEL (listing)) >= next_report)
        {
          g_printerr ("%u objects after %.1f s\n", next_report, ms_since (list_start) / 1000);
          next_report += 10000;
        }
    }
  end = g_get_monotonic_time ();
  g_source_remove (tick);
  memory_mb (&rss_listed, &peak_listed);
  if (kvb_object_listing_get_error (listing) != NULL)
    g_error ("Listing failed: %s", kvb_object_listing_get_error (listing)->message);
  wait_frame (GTK_WIDGET (list));

  /* KVB_BENCH_FILTER_ROUNDS=N: the typing below N more times first, to profile it. */
  for (guint64 r = g_ascii_strtoull (g_getenv ("KVB_BENCH_FILTER_ROUNDS") ?: "0", NULL, 10); r > 0; r--)
    {
      time_filter (list, "s");
      time_filter (list, "s01");
      time_filter (list, "s01-12");
      time_filter (list, "s01-123");
      time_filter (list, "s01");
      time_filter (list, "");
      time_filter (list, "payments");
      time_filter (list, "");
    }

  /* A person typing "s01-123" one key at a time, deleting back to "s01" one key at a time,
   * clearing the field, then typing a tag, one key at a time.  Every step is one keystroke;
   * the worst of them is the figure. */
  {
    const char *typed = "s01-123";
    const char *tag = "payments";
    char text[16];

    for (gsize i = 1; i <= strlen (typed); i++)
      {
        double t;

        g_strlcpy (text, typed, i + 1);
        t = time_filter (list, text);
        key_worst = MAX (key_worst, t);
        if (i == 1)
          {
            t_type = t;
            n_type = n_shown (list);
          }
      }
    t_narrow = key_worst;
    n_narrow = n_shown (list);
    t_widen = 0;
    for (gsize i = strlen (typed) - 1; i >= 3; i--)
      {
        double t;

        g_strlcpy (text, typed, i + 1);
        t = time_filter (list, text);
        t_widen = MAX (t_widen, t);
      }
    key_worst = MAX (key_worst, t_widen);
    t_clear = time_filter (list, "");
    key_worst = MAX (key_worst, t_clear);
    t_tag = 0;
    for (gsize i = 1; i <= strlen (tag); i++)
      {
        double t;

        g_strlcpy (text, tag, i + 1);
        t = time_filter (list, text);
        t_tag = MAX (t_tag, t);
      }
    key_worst = MAX (key_worst, t_tag);
    n_tag = n_shown (list);
    time_filter (list, "");
  }

  {
    /* The column view is the only one in the list. */
    GtkWidget *w = GTK_WIDGET (list);
    GtkWidget *found = NULL;
    GQueue queue = G_QUEUE_INIT;

    g_queue_push_tail (&queue, w);
    while (found == NULL && !g_queue_is_empty (&queue))
      {
        GtkWidget *cur = g_queue_pop_head (&queue);

        if (GTK_IS_COLUMN_VIEW (cur))
          found = cur;
        for (GtkWidget *c = gtk_widget_get_first_child (cur); c != NULL; c = gtk_widget_get_next_sibling (c))
          g_queue_push_tail (&queue, c);
      }
    g_queue_clear (&queue);
    view = GTK_COLUMN_VIEW (found);
  }
  columns = gtk_column_view_get_columns (view);
  name_column = g_list_model_get_item (columns, 0);
  start = g_get_monotonic_time ();
  start_cpu = cpu_us ();
  gtk_column_view_sort_by_column (view, name_column, GTK_SORT_DESCENDING);
  sort_cpu = (cpu_us () - start_cpu) / 1000.0;
  wait_frame (GTK_WIDGET (list));
  t_sort = ms_since (start);

  g_print ("{\"latency_ms\":%s,\"first_page_ms\":%.0f,\"rss_mb\":%.1f,\"peak_rss_mb\":%.1f,"
           "\"objects\":%u,\"pages\":%u,\"first_rows_ms\":%.0f,\"all_rows_ms\":%.0f,"
           "\"view_ms_per_page_mean\":%.2f,\"view_ms_per_page_worst\":%.1f,\"worst_stall_ms\":%.1f,\"stalls_over_50ms\":%u,\"stalls_over_100ms\":%u,"
           "\"keystroke_worst_ms\":%.1f,\"filter_first_key_ms\":%.1f,\"filter_first_key_rows\":%u,"
           "\"filter_narrow_ms\":%.1f,\"filter_narrow_rows\":%u,\"filter_widen_ms\":%.1f,"
           "\"filter_clear_ms\":%.1f,\"filter_tag_ms\":%.1f,\"filter_tag_rows\":%u,"
           "\"filter_call_worst_ms\":%.1f,\"filter_call_worst_cpu_ms\":%.1f,"
           "\"view_cpu_ms_per_page_worst\":%.1f,\"sort_descending_ms\":%.1f,\"sort_call_cpu_ms\":%.1f}\n",
           latency, (first_page - list_start) / 1000.0, rss_listed, peak_listed,
           g_list_model_get_n_items (G_LIST_MODEL (listing)),
           kvb_object_listing_get_n_pages (listing),
           (first - list_start) / 1000.0,
           (end - list_start) / 1000.0,
           work.total / 1000.0 / MAX (1, kvb_object_listing_get_n_pages (listing)), work.worst / 1000.0,
           stalls.worst / 1000.0, stalls.over_50ms, stalls.over_100ms,
           key_worst, t_type, n_type, t_narrow, n_narrow, t_widen, t_clear, t_tag, n_tag, filter_sync_worst, filter_cpu_worst, work.worst_cpu / 1000.0, t_sort, sort_cpu);

  gtk_window_destroy (window);
  g_unlink (seed);
  return 0;
}
