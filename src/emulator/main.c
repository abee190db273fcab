#define G_LOG_DOMAIN "kvb-emulator"
#include "config.h"

#include "kvb-emulator.h"

#include <glib-unix.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static gboolean
quit_cb (gpointer data)
{
  g_main_loop_quit (data);
  return G_SOURCE_REMOVE;
}

static gboolean
parse_rate (const char *text, double *out, GError **error)
{
  char *end = NULL;
  double v;
  if (text == NULL)
    return TRUE;
  v = g_ascii_strtod (text, &end);
  if (end == text || *end != '\0' || v < 0.0 || v > 1.0)
    {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE, "A rate is a number from 0 to 1: %s", text);
      return FALSE;
    }
  *out = v;
  return TRUE;
}

int
main (int argc, char **argv)
{
  int port = 0, proxy_port = 0, latency = 0, token_lifetime = 3600, retry_after = 1;
  gboolean no_proxy = FALSE;
  g_autofree char *seed = NULL, *state_dir = NULL, *cert = NULL, *key = NULL, *log = NULL;
  g_autofree char *throttle = NULL, *fail5xx = NULL, *drop = NULL, *drop_after = NULL, *cut_body = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GOptionContext) ctx = g_option_context_new ("- local Azure stand-in (Entra ID, Resource Manager, Key Vault)");
  GOptionEntry entries[] = {
    { "port", 0, 0, G_OPTION_ARG_INT, &port, "HTTPS port on 127.0.0.1 (default: the system picks)", "N" },
    { "proxy-port", 0, 0, G_OPTION_ARG_INT, &proxy_port, "CONNECT proxy port (default: the system picks)", "N" },
    { "no-proxy", 0, 0, G_OPTION_ARG_NONE, &no_proxy, "Do not start the CONNECT proxy", NULL },
    { "seed", 0, 0, G_OPTION_ARG_FILENAME, &seed, "Seed file (default: the built-in sample)", "FILE" },
    { "state-dir", 0, 0, G_OPTION_ARG_FILENAME, &state_dir, "Folder for ca.pem and client-cert.pem (default: a temporary folder)", "DIR" },
    { "cert", 0, 0, G_OPTION_ARG_FILENAME, &cert, "Server certificate (PEM) to use instead of a generated one", "PEM" },
    { "key", 0, 0, G_OPTION_ARG_FILENAME, &key, "Private key (PEM) of --cert", "PEM" },
    { "latency-ms", 0, 0, G_OPTION_ARG_INT, &latency, "Delay every request by N ms", "N" },
    { "throttle", 0, 0, G_OPTION_ARG_STRING, &throttle, "Per-vault limit, default 4000/10; 'off' turns it off", "N/SECONDS|off" },
    { "fail-5xx", 0, 0, G_OPTION_ARG_STRING, &fail5xx, "Answer this share of requests with 503", "RATE" },
    { "drop", 0, 0, G_OPTION_ARG_STRING, &drop, "Drop the connection of this share of requests", "RATE" },
    { "drop-after", 0, 0, G_OPTION_ARG_STRING, &drop_after, "Carry out this share of Key Vault requests, then drop the connection instead of answering", "RATE" },
    { "cut-body", 0, 0, G_OPTION_ARG_STRING, &cut_body, "Send half the body of this share of Key Vault answers, then drop the connection", "RATE" },
    { "fail-retry-after", 0, 0, G_OPTION_ARG_INT, &retry_after, "Retry-After of the injected 503s in seconds (default 1; -1: none)", "SECONDS" },
    { "token-lifetime", 0, 0, G_OPTION_ARG_INT, &token_lifetime, "Access-token lifetime in seconds (default 3600)", "SECONDS" },
    { "log", 0, 0, G_OPTION_ARG_FILENAME, &log, "Append a JSON line per request (secrets redacted)", "FILE" },
    { NULL }
  };
  g_autoptr(KvbEmulator) emu = NULL;
  g_autoptr(GMainLoop) loop = NULL;
  g_autofree char *info = NULL;
  double rate_5xx = 0.0, rate_drop = 0.0, rate_drop_after = 0.0, rate_cut_body = 0.0;

  g_option_context_add_main_entries (ctx, entries, NULL);
  if (!g_option_context_parse (ctx, &argc, &argv, &error))
    {
      g_printerr ("kvb-emulator: %s\n", error->message);
      return 2;
    }
  if (port < 0 || port > 65535 || proxy_port < 0 || proxy_port > 65535 || latency < 0 || token_lifetime < 1)
    {
      g_printerr ("kvb-emulator: a port, latency or lifetime is out of range\n");
      return 2;
    }
  if ((cert == NULL) != (key == NULL))
    {
      g_printerr ("kvb-emulator: --cert and --key go together\n");
      return 2;
    }
  if (!parse_rate (fail5xx, &rate_5xx, &error) || !parse_rate (drop, &rate_drop, &error) ||
      !parse_rate (drop_after, &rate_drop_after, &error) || !parse_rate (cut_body, &rate_cut_body, &error))
    {
      g_printerr ("kvb-emulator: %s\n", error->message);
      return 2;
    }

  emu = kvb_emulator_new ();
  kvb_emulator_set_port (emu, port);
  kvb_emulator_set_proxy_enabled (emu, !no_proxy);
  kvb_emulator_set_proxy_port (emu, proxy_port);
  kvb_emulator_set_seed_file (emu, seed);
  kvb_emulator_set_state_dir (emu, state_dir);
  if (cert != NULL)
    kvb_emulator_set_certificate_files (emu, cert, key);
  kvb_emulator_set_latency_ms (emu, latency);
  kvb_emulator_set_fault_rates (emu, rate_5xx, rate_drop);
  kvb_emulator_set_fault_retry_after (emu, retry_after);
  kvb_emulator_set_fault_drop_after_rate (emu, rate_drop_after);
  kvb_emulator_set_fault_cut_body_rate (emu, rate_cut_body);
  kvb_emulator_set_token_lifetime (emu, token_lifetime);
  kvb_emulator_set_log_file (emu, log);
  if (throttle != NULL)
    {
      guint n = 0, secs = 0;
      if (g_ascii_strcasecmp (throttle, "off") == 0)
        kvb_emulator_set_throttle (emu, 0, 0);
      else if (sscanf (throttle, "%u/%u", &n, &secs) == 2 && n > 0 && secs > 0)
        kvb_emulator_set_throttle (emu, n, secs);
      else
        {
          g_printerr ("kvb-emulator: --throttle takes N/SECONDS or off\n");
          return 2;
        }
    }

  if (!kvb_emulator_start (emu, &error))
    {
      g_printerr ("kvb-emulator: %s\n", error->message);
      return 1;
    }

  loop = g_main_loop_new (NULL, FALSE);
  g_unix_signal_add (SIGTERM, quit_cb, loop);
  g_unix_signal_add (SIGINT, quit_cb, loop);

  info = kvb_emulator_dup_info_json (emu);
  fputs (info, stdout);
  fputc ('\n', stdout);
  fflush (stdout);

  g_main_loop_run (loop);
  kvb_emulator_stop (emu);
  return 0;
}
