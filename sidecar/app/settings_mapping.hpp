// sidecar_config → the settings structs each layer takes (layer_config, pg_pool_config,
// server_settings, session_settings, Origin policy). The only place that knows both sides.
#pragma once

#include <string>

#include "app/sidecar_config.hpp"
#include "auth/origin_policy.hpp"
#include "layer/layer_config.hpp"
#include "net/server_settings.hpp"
#include "net/session_verifier.hpp"
#include "service/messaging_settings.hpp"
#include "service/presence_settings.hpp"
#include "store/django_tables.hpp"
#include "store/pg_pool.hpp"

namespace tandem::app {

layer::layer_config to_layer_config(sidecar_config const& c);
store::pg_pool_config to_pool_config(sidecar_config const& c);
store::table_names to_table_names(sidecar_config const& c);
net::server_settings to_server_settings(sidecar_config const& c);
service::messaging_settings to_messaging_settings(sidecar_config const& c);
service::presence_settings to_presence_settings(sidecar_config const& c);
service::typing_settings to_typing_settings(sidecar_config const& c);
net::session_settings to_session_settings(sidecar_config const& c);
/// allowed_origins if set, else ALLOWED_HOSTS plus CSRF_TRUSTED_ORIGINS ("https://*.x" → "https://.x").
auth::origin_policy to_origin_policy(sidecar_config const& c);

}  // namespace tandem::app
