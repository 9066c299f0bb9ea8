// Passwords in the database string and the Redis URLs never reach --print-config's output,
// wherever the URL or conninfo syntax lets them be written.
#include <catch2/catch.hpp>

#include <string>

#include "app/secret_masking.hpp"

using tandem::app::mask_conninfo;
using tandem::app::mask_url_password;

TEST_CASE("a password in the user part of a Redis URL is masked, the rest kept", "[secret_masking]")
{
  CHECK(mask_url_password("redis://:s3cret@redis.example:6379/0") == "redis://:***@redis.example:6379/0");
  CHECK(mask_url_password("rediss://app:s3cret@redis.example:6380/1?ssl_cert_reqs=required") ==
        "rediss://app:***@redis.example:6380/1?ssl_cert_reqs=required");
  CHECK(mask_url_password("redis://redis.example:6379/0") == "redis://redis.example:6379/0");
  CHECK(mask_url_password("redis.example:6379") == "redis.example:6379");
}

TEST_CASE("a lone value before @ in a Redis URL is the password (as redis-py and the sidecar read it)",
          "[secret_masking]")
{
  CHECK(mask_url_password("redis://s3cret@redis.example:6379/0") == "redis://***@redis.example:6379/0");
  CHECK(mask_url_password("unix://s3cret@/run/redis.sock") == "unix://***@/run/redis.sock");
  // In a PostgreSQL URL a lone value is the user name: kept.
  CHECK(mask_url_password("postgresql://app@db.example/chat") == "postgresql://app@db.example/chat");
}

TEST_CASE("a password query parameter is masked: unix sockets, redis+unix, TCP URLs", "[secret_masking]")
{
  CHECK(mask_url_password("unix:///run/redis/redis.sock?password=s3cret") == "unix:///run/redis/redis.sock?password=***");
  CHECK(mask_url_password("unix:///run/redis.sock?db=2&password=s3cret&username=app") ==
        "unix:///run/redis.sock?db=2&password=***&username=app");
  CHECK(mask_url_password("redis+unix:///run/redis.sock?password=s3cret&db=1") ==
        "redis+unix:///run/redis.sock?password=***&db=1");
  CHECK(mask_url_password("redis://redis.example:6379/0?password=s3cret") == "redis://redis.example:6379/0?password=***");
  // An '@' inside the query value does not move the password out of the mask.
  CHECK(mask_url_password("unix:///run/redis.sock?password=se@cret") == "unix:///run/redis.sock?password=***");
}

TEST_CASE("every password-like query key is masked, however its name is spelled", "[secret_masking]")
{
  CHECK(mask_url_password("redis://h:6379?sentinel_password=s3cret") == "redis://h:6379?sentinel_password=***");
  CHECK(mask_url_password("rediss://h:6380?ssl_password=s3cret&ssl_certfile=/c.pem") ==
        "rediss://h:6380?ssl_password=***&ssl_certfile=/c.pem");
  CHECK(mask_url_password("redis://h?PASSWORD=s3cret") == "redis://h?PASSWORD=***");
  CHECK(mask_url_password("redis://h?pass%77ord=s3cret") == "redis://h?pass%77ord=***");  // percent-encoded key
  CHECK(mask_url_password("postgresql://app@db/chat?sslpassword=s3cret") == "postgresql://app@db/chat?sslpassword=***");
}

TEST_CASE("the database string's passwords are masked in keyword/value and URL forms", "[secret_masking]")
{
  auto const shown = [](std::string const& conninfo) {
    auto const masked = mask_conninfo(conninfo);
    INFO(masked);
    CHECK(masked.find("s3cret") == std::string::npos);
    return masked;
  };
  auto const keywords = shown("host=db user=app password=s3cret dbname=chat");
  CHECK(keywords.find("password=***") != std::string::npos);
  CHECK(keywords.find("host='db'") != std::string::npos);
  shown("host=db password='s3cret with spaces' sslpassword=s3cret2");
  shown("postgresql://app:s3cret@db.example:5432/chat");
  shown("postgresql://app@db.example/chat?password=s3cret&sslmode=require");
  shown("postgres://app@db.example/chat?sslpassword=s3cret");
  CHECK(mask_conninfo("host=db password='unterminated s3cret") == "***");
}
