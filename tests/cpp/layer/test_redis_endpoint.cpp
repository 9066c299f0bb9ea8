// Redis host strings as Django's CHANNEL_LAYERS writes them.
#include "layer/redis_endpoint.hpp"

#include <catch2/catch.hpp>

using namespace tandem::layer;

TEST_CASE("a redis URL gives host, port, db and credentials", "[layer][endpoint]")
{
  auto const parsed = parse_redis_endpoint("redis://user:p%40ss@cache.example:6380/3");
  REQUIRE(parsed.endpoint.has_value());
  CHECK(parsed.endpoint->host == "cache.example");
  CHECK(parsed.endpoint->port == 6380);
  CHECK(parsed.endpoint->db == 3);
  CHECK(parsed.endpoint->username == "user");
  CHECK(parsed.endpoint->password == "p@ss");
}

TEST_CASE("a password without a user is the password", "[layer][endpoint]")
{
  auto const parsed = parse_redis_endpoint("redis://:secret@localhost");
  REQUIRE(parsed.endpoint.has_value());
  CHECK(parsed.endpoint->username.empty());
  CHECK(parsed.endpoint->password == "secret");
  CHECK(parsed.endpoint->port == 6379);
  CHECK(parsed.endpoint->db == 0);
}

TEST_CASE("host:port without a scheme and IPv6 literals work", "[layer][endpoint]")
{
  CHECK(parse_redis_endpoint("127.0.0.1:7000").endpoint->port == 7000);
  auto const v6 = parse_redis_endpoint("redis://[::1]:6390/1");
  REQUIRE(v6.endpoint.has_value());
  CHECK(v6.endpoint->host == "::1");
  CHECK(v6.endpoint->port == 6390);
  CHECK(v6.endpoint->db == 1);
}

TEST_CASE("a unix socket URL takes its db and password from the query", "[layer][endpoint]")
{
  auto const parsed = parse_redis_endpoint("unix:///run/redis/redis.sock?db=2&password=pw");
  REQUIRE(parsed.endpoint.has_value());
  CHECK(parsed.endpoint->kind == redis_endpoint::transport::unix_socket);
  CHECK(parsed.endpoint->path == "/run/redis/redis.sock");
  CHECK(parsed.endpoint->db == 2);
  CHECK(parsed.endpoint->password == "pw");
  CHECK(describe(*parsed.endpoint) == "unix:/run/redis/redis.sock/2");
}

TEST_CASE("bad host strings are refused with a reason", "[layer][endpoint]")
{
  CHECK(parse_redis_endpoint("rediss://h:6379?ssl_cert_reqs=sometimes").error.find("ssl_cert_reqs") != std::string::npos);
  CHECK(parse_redis_endpoint("redis://h:6379?ssl_ca_certs=/ca.pem").error.find("rediss://") != std::string::npos);
  CHECK_FALSE(parse_redis_endpoint("redis://h:notaport").endpoint.has_value());
  CHECK_FALSE(parse_redis_endpoint("redis://h:0").endpoint.has_value());
  CHECK_FALSE(parse_redis_endpoint("redis://h:6379/x").endpoint.has_value());
  CHECK_FALSE(parse_redis_endpoint("http://h").endpoint.has_value());
  CHECK_FALSE(parse_redis_endpoint("unix://").endpoint.has_value());
  CHECK_FALSE(parse_redis_endpoint("redis://[::1").endpoint.has_value());
}

TEST_CASE("rediss:// URLs carry redis-py's ssl_* options", "[layer][endpoint]")
{
  auto const plain = parse_redis_endpoint("rediss://u:p@cache.example:6380/1");
  REQUIRE(plain.endpoint.has_value());
  CHECK(plain.endpoint->tls.enabled);
  CHECK(plain.endpoint->tls.cert_reqs == tls_options::verify::required);
  CHECK(plain.endpoint->tls.check_hostname);
  CHECK(plain.endpoint->tls.ca_file.empty());  // the system store
  CHECK(plain.endpoint->username == "u");
  CHECK(plain.endpoint->db == 1);
  CHECK(describe(*plain.endpoint) == "tls:cache.example:6380/1");

  auto const full = parse_redis_endpoint(
      "rediss://h:6380/0?ssl_ca_certs=%2Fetc%2Fca.pem&ssl_certfile=/c.pem&ssl_keyfile=/k.pem&ssl_cert_reqs=optional"
      "&ssl_check_hostname=false&ssl_ca_path=/etc/certs");
  REQUIRE(full.endpoint.has_value());
  CHECK(full.endpoint->tls.ca_file == "/etc/ca.pem");
  CHECK(full.endpoint->tls.ca_path == "/etc/certs");
  CHECK(full.endpoint->tls.cert_file == "/c.pem");
  CHECK(full.endpoint->tls.key_file == "/k.pem");
  CHECK(full.endpoint->tls.cert_reqs == tls_options::verify::optional);
  CHECK_FALSE(full.endpoint->tls.check_hostname);
  for (auto const* none : {"none", "CERT_NONE", "0"}) {
    auto const parsed = parse_redis_endpoint(std::string{"rediss://h?ssl_cert_reqs="} + none);
    REQUIRE(parsed.endpoint.has_value());
    CHECK(parsed.endpoint->tls.cert_reqs == tls_options::verify::none);
  }
}

TEST_CASE("sentinel:// URLs name the Sentinels, the master and both sets of credentials", "[layer][endpoint]")
{
  auto const parsed = parse_redis_endpoint(
      "sentinel://app:p%40ss@s1:26379,[::1]:26380,s3/2?master_name=main&sentinel_username=watch&sentinel_password=spw");
  REQUIRE(parsed.endpoint.has_value());
  auto const& ep = *parsed.endpoint;
  CHECK(ep.kind == redis_endpoint::transport::sentinel);
  CHECK(ep.sentinel.master_name == "main");
  REQUIRE(ep.sentinel.addresses.size() == 3);
  CHECK(ep.sentinel.addresses[0] == std::pair<std::string, std::uint16_t>{"s1", 26379});
  CHECK(ep.sentinel.addresses[1] == std::pair<std::string, std::uint16_t>{"::1", 26380});
  CHECK(ep.sentinel.addresses[2] == std::pair<std::string, std::uint16_t>{"s3", 26379});
  CHECK(ep.sentinel.username == "watch");
  CHECK(ep.sentinel.password == "spw");
  CHECK(ep.username == "app");
  CHECK(ep.password == "p@ss");
  CHECK(ep.db == 2);
  CHECK_FALSE(ep.tls.enabled);
  CHECK(describe(ep) == "sentinel:main/2");

  auto const tls = parse_redis_endpoint("sentinel://s1:1/0?master_name=m&ssl=true&ssl_ca_certs=/ca.pem");
  REQUIRE(tls.endpoint.has_value());
  CHECK(tls.endpoint->tls.enabled);
  CHECK(tls.endpoint->tls.ca_file == "/ca.pem");

  CHECK(parse_redis_endpoint("sentinel://s1:26379/0").error.find("master_name") != std::string::npos);
  CHECK(parse_redis_endpoint("sentinel:///0?master_name=m").error.find("Sentinel") != std::string::npos);
  CHECK_FALSE(parse_redis_endpoint("sentinel://s1:0/0?master_name=m").endpoint.has_value());
}
