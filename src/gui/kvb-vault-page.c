/* kvb-vault-page.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "kvb-vault-page"

#include "config.h"

#include <glib/gi18n.h>

#include "kvb-vault-page.h"

struct _KvbVaultPage
{
  AdwBin                parent_instance;

  /* Template widgets */
  AdwViewSwitcherTitle *switcher_title;
  AdwViewStack         *view_stack;
  AdwStatusPage        *secrets_status;
  AdwStatusPage        *keys_status;
  AdwStatusPage        *certificates_status;
  AdwStatusPage        *deleted_status;

  /* Owned references */
  KvbVaultInfo         *vault;
  KvbKeyVaultClient    *client;
  GCancellable         *cancellable;   /* the work for the vault shown; cancelled when it changes */
  GMenuModel           *menu_model;
  gboolean              folded;
};

G_DEFINE_FINAL_TYPE (KvbVaultPage, kvb_vault_page, ADW_TYPE_BIN)

enum {
  PROP_0,
  PROP_VAULT_NAME,
  PROP_MENU_MODEL,
  PROP_FOLDED,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/* The four object pages say honestly what they will show, and that they do not show it yet. */
static void
update_pages (KvbVaultPage *self)
{
  const char *vault_name = self->vault != NULL ? kvb_vault_info_get_name (self->vault) : NULL;
  struct {
    AdwStatusPage *page;
    const char    *description;
  } pages[] = {
    { self->secrets_status, N_("Listing and backing up the secrets of a vault comes in a later version.") },
    { self->keys_status, N_("Listing and backing up the keys of a vault comes in a later version.") },
    { self->certificates_status, N_("Listing and backing up the certificates of a vault comes in a later version.") },
    { self->deleted_status, N_("Listing, recovering and purging deleted objects comes in a later version.") },
  };

  /* Torn down: gtk_widget_dispose_template() has let go of the pages. */
  if (self->switcher_title == NULL)
    return;

  for (guint i = 0; i < G_N_ELEMENTS (pages); i++)
    {
      if (vault_name == NULL)
        {
          adw_status_page_set_title (pages[i].page, _("No Vault Selected"));
          adw_status_page_set_description (pages[i].page, _("Choose a vault in the sidebar."));
        }
      else
        {
          adw_status_page_set_title (pages[i].page, vault_name);
          adw_status_page_set_description (pages[i].page, _(pages[i].description));
        }
    }

  adw_view_switcher_title_set_subtitle (self->switcher_title, vault_name);
}

void
kvb_vault_page_set_vault (KvbVaultPage  *self,
                          KvbVaultInfo  *vault,
                          KvbPipeline   *pipeline,
                          KvbCloud      *cloud,
                          KvbCredential *credential)
{
  g_return_if_fail (KVB_IS_VAULT_PAGE (self));
  g_return_if_fail (vault == NULL || KVB_IS_VAULT_INFO (vault));
  g_return_if_fail (vault == NULL || (KVB_IS_PIPELINE (pipeline) && KVB_IS_CLOUD (cloud)));

  /* Whatever was under way for the previous vault must not land on this one. */
  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  self->cancellable = g_cancellable_new ();
  g_clear_object (&self->client);
  g_set_object (&self->vault, vault);

  if (vault != NULL)
    {
      const char *uri = kvb_vault_info_get_vault_uri (vault);
      g_autoptr(GError) error = NULL;

      self->client = kvb_keyvault_client_new (pipeline, cloud, credential,
                                              uri != NULL ? uri : kvb_vault_info_get_name (vault), &error);
      if (self->client == NULL)
        g_debug ("No client for the vault %s: %s", kvb_vault_info_get_name (vault), error->message);
    }

  update_pages (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_VAULT_NAME]);
}

KvbVaultInfo *
kvb_vault_page_get_vault (KvbVaultPage *self)
{
  g_return_val_if_fail (KVB_IS_VAULT_PAGE (self), NULL);
  return self->vault;
}

KvbKeyVaultClient *
kvb_vault_page_get_client (KvbVaultPage *self)
{
  g_return_val_if_fail (KVB_IS_VAULT_PAGE (self), NULL);
  return self->client;
}

void
kvb_vault_page_show_kind (KvbVaultPage *self,
                          const char   *name)
{
  g_return_if_fail (KVB_IS_VAULT_PAGE (self));
  adw_view_stack_set_visible_child_name (self->view_stack, name);
}

static void
kvb_vault_page_dispose (GObject *object)
{
  KvbVaultPage *self = (KvbVaultPage *)object;

  g_cancellable_cancel (self->cancellable);
  gtk_widget_dispose_template (GTK_WIDGET (self), KVB_TYPE_VAULT_PAGE);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->client);
  g_clear_object (&self->vault);
  g_clear_object (&self->menu_model);

  G_OBJECT_CLASS (kvb_vault_page_parent_class)->dispose (object);
}

static void
kvb_vault_page_get_property (GObject    *object,
                             guint       prop_id,
                             GValue     *value,
                             GParamSpec *pspec)
{
  KvbVaultPage *self = KVB_VAULT_PAGE (object);

  switch (prop_id)
    {
    case PROP_VAULT_NAME:
      g_value_set_string (value, self->vault != NULL ? kvb_vault_info_get_name (self->vault) : NULL);
      break;
    case PROP_MENU_MODEL:
      g_value_set_object (value, self->menu_model);
      break;
    case PROP_FOLDED:
      g_value_set_boolean (value, self->folded);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
kvb_vault_page_set_property (GObject      *object,
                             guint         prop_id,
                             const GValue *value,
                             GParamSpec   *pspec)
{
  KvbVaultPage *self = KVB_VAULT_PAGE (object);

  switch (prop_id)
    {
    case PROP_MENU_MODEL:
      if (g_set_object (&self->menu_model, g_value_get_object (value)))
        g_object_notify_by_pspec (object, pspec);
      break;
    case PROP_FOLDED:
      if (self->folded != g_value_get_boolean (value))
        {
          self->folded = g_value_get_boolean (value);
          g_object_notify_by_pspec (object, pspec);
        }
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
kvb_vault_page_class_init (KvbVaultPageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = kvb_vault_page_dispose;
  object_class->get_property = kvb_vault_page_get_property;
  object_class->set_property = kvb_vault_page_set_property;

  properties[PROP_VAULT_NAME] =
    g_param_spec_string ("vault-name", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  /* The window's primary menu, for the button at the end of the header bar. */
  properties[PROP_MENU_MODEL] =
    g_param_spec_object ("menu-model", NULL, NULL, G_TYPE_MENU_MODEL,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  /* Whether the sidebar is folded away: then the page offers the way back to it. */
  properties[PROP_FOLDED] =
    g_param_spec_boolean ("folded", NULL, NULL, FALSE,
                          G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_template_from_resource (widget_class, APP_PATH "/ui/kvb-vault-page.ui");
  gtk_widget_class_bind_template_child (widget_class, KvbVaultPage, switcher_title);
  gtk_widget_class_bind_template_child (widget_class, KvbVaultPage, view_stack);
  gtk_widget_class_bind_template_child (widget_class, KvbVaultPage, secrets_status);
  gtk_widget_class_bind_template_child (widget_class, KvbVaultPage, keys_status);
  gtk_widget_class_bind_template_child (widget_class, KvbVaultPage, certificates_status);
  gtk_widget_class_bind_template_child (widget_class, KvbVaultPage, deleted_status);
}

static void
kvb_vault_page_init (KvbVaultPage *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));

  self->cancellable = g_cancellable_new ();
  update_pages (self);
}
