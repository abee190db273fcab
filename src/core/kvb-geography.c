/* kvb-geography.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>

#include "kvb-geography.h"

/* Regions by geography, as Azure groups them for data residency.  The US Department of Defense
 * regions are security worlds of their own. */
static const struct
{
  const char *region;
  const char *geography;
} regions[] = {
  { "eastus", "united-states" }, { "eastus2", "united-states" }, { "centralus", "united-states" },
  { "northcentralus", "united-states" }, { "southcentralus", "united-states" },
  { "westcentralus", "united-states" }, { "westus", "united-states" },
  { "westus2", "united-states" }, { "westus3", "united-states" },
  { "eastus2euap", "united-states" }, { "centraluseuap", "united-states" },
  { "canadacentral", "canada" }, { "canadaeast", "canada" },
  { "brazilsouth", "brazil" }, { "brazilsoutheast", "brazil" },
  { "mexicocentral", "mexico" }, { "chilecentral", "chile" },
  { "northeurope", "europe" }, { "westeurope", "europe" },
  { "uksouth", "united-kingdom" }, { "ukwest", "united-kingdom" },
  { "francecentral", "france" }, { "francesouth", "france" },
  { "germanywestcentral", "germany" }, { "germanynorth", "germany" },
  { "switzerlandnorth", "switzerland" }, { "switzerlandwest", "switzerland" },
  { "norwayeast", "norway" }, { "norwaywest", "norway" },
  { "swedencentral", "sweden" }, { "swedensouth", "sweden" },
  { "polandcentral", "poland" }, { "italynorth", "italy" }, { "spaincentral", "spain" },
  { "austriaeast", "austria" }, { "belgiumcentral", "belgium" }, { "denmarkeast", "denmark" },
  { "eastasia", "asia-pacific" }, { "southeastasia", "asia-pacific" },
  { "japaneast", "japan" }, { "japanwest", "japan" },
  { "koreacentral", "korea" }, { "koreasouth", "korea" },
  { "centralindia", "india" }, { "southindia", "india" }, { "westindia", "india" },
  { "jioindiacentral", "india" }, { "jioindiawest", "india" },
  { "australiaeast", "australia" }, { "australiasoutheast", "australia" },
  { "australiacentral", "australia" }, { "australiacentral2", "australia" },
  { "newzealandnorth", "new-zealand" }, { "indonesiacentral", "indonesia" },
  { "malaysiawest", "malaysia" },
  { "uaenorth", "uae" }, { "uaecentral", "uae" }, { "qatarcentral", "qatar" },
  { "israelcentral", "israel" },
  { "southafricanorth", "south-africa" }, { "southafricawest", "south-africa" },
  { "usgovvirginia", "us-government" }, { "usgovarizona", "us-government" },
  { "usgovtexas", "us-government" }, { "usgoviowa", "us-government" },
  { "usdodeast", "us-dod-east" }, { "usdodcentral", "us-dod-central" },
  { "chinaeast", "china" }, { "chinanorth", "china" }, { "chinaeast2", "china" },
  { "chinanorth2", "china" }, { "chinaeast3", "china" }, { "chinanorth3", "china" },
};

const char *
kvb_geography_for_location (const char *location)
{
  g_autoptr(GString) key = NULL;

  if (location == NULL)
    return NULL;

  /* Resource Manager says "westeurope"; people and some tools say "West Europe". */
  key = g_string_new (NULL);
  for (const char *p = location; *p != '\0'; p++)
    if (g_ascii_isalnum (*p))
      g_string_append_c (key, g_ascii_tolower (*p));

  for (gsize i = 0; i < G_N_ELEMENTS (regions); i++)
    if (strcmp (regions[i].region, key->str) == 0)
      return regions[i].geography;
  return NULL;
}

gboolean
kvb_geography_same (const char *location_a,
                    const char *location_b,
                    gboolean   *known)
{
  const char *a = kvb_geography_for_location (location_a);
  const char *b = kvb_geography_for_location (location_b);

  if (known != NULL)
    *known = a != NULL && b != NULL;
  return a != NULL && b != NULL && strcmp (a, b) == 0;
}
