from tests.registry_fixtures import htpasswd_registry, registry, tls_registry, token_registry

__all__ = ["htpasswd_registry", "registry", "tls_registry", "token_registry"]
