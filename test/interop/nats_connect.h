// Interop: connecting a libnats client with options, shared by the interop
// tests (Catch2 assertions inside, so for test code only).
#pragma once

#include <nats/nats.h>

#include <catch2/catch.hpp>
#include <string>

#include "test/interop/nats_handles.h"

namespace gnatsd::test::interop {

// Options for one server URL; credentials and handlers are added by the caller.
inline OptsPtr optionsFor(const std::string& url) {
  natsOptions* o = nullptr;
  REQUIRE(natsOptions_Create(&o) == NATS_OK);
  OptsPtr opts(o);
  REQUIRE(natsOptions_SetURL(o, url.c_str()) == NATS_OK);
  REQUIRE(natsOptions_SetTimeout(o, 2000) == NATS_OK);
  // A refused client must fail at once, not retry in the background.
  REQUIRE(natsOptions_SetAllowReconnect(o, false) == NATS_OK);
  return opts;
}

// Connects with `opts`; *st gets the status, the result is null on failure.
inline ConnPtr tryConnect(natsOptions* opts, natsStatus* st) {
  natsConnection* nc = nullptr;
  *st = natsConnection_Connect(&nc, opts);
  if (*st != NATS_OK) {
    natsConnection_Destroy(nc);  // null-safe
    return ConnPtr();
  }
  return ConnPtr(nc);
}

inline ConnPtr expectConnect(natsOptions* opts) {
  natsStatus st = NATS_OK;
  ConnPtr nc = tryConnect(opts, &st);
  INFO("natsConnection_Connect: " << natsStatus_GetText(st) << " (" << nats_GetLastError(nullptr) << ")");
  REQUIRE(st == NATS_OK);
  REQUIRE(natsConnection_Status(nc.get()) == NATS_CONN_STATUS_CONNECTED);
  return nc;
}

}  // namespace gnatsd::test::interop
