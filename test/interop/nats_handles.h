// Interop: owning handles for libnats objects, shared by the interop tests,
// so a failed REQUIRE leaks nothing, and a responder's handler.
#pragma once

#include <nats/nats.h>

#include <memory>
#include <string>

namespace gnatsd::test::interop {

struct ConnDeleter {
  void operator()(natsConnection* nc) const { natsConnection_Destroy(nc); }
};
struct SubDeleter {
  void operator()(natsSubscription* sub) const { natsSubscription_Destroy(sub); }
};
struct MsgDeleter {
  void operator()(natsMsg* m) const { natsMsg_Destroy(m); }
};
struct OptsDeleter {
  void operator()(natsOptions* o) const { natsOptions_Destroy(o); }
};
using ConnPtr = std::unique_ptr<natsConnection, ConnDeleter>;
using SubPtr = std::unique_ptr<natsSubscription, SubDeleter>;
using MsgPtr = std::unique_ptr<natsMsg, MsgDeleter>;
using OptsPtr = std::unique_ptr<natsOptions, OptsDeleter>;

inline std::string natsURL(int port) { return "nats://127.0.0.1:" + std::to_string(port); }

// A libnats message handler for a responder: answers "libnats: <data>" to
// the message's reply subject.
inline void answerRequest(natsConnection* nc, natsSubscription*, natsMsg* msg, void*) {
  const std::string answer = std::string("libnats: ").append(natsMsg_GetData(msg), natsMsg_GetDataLength(msg));
  natsConnection_Publish(nc, natsMsg_GetReply(msg), answer.data(), static_cast<int>(answer.size()));
  natsMsg_Destroy(msg);
}

}  // namespace gnatsd::test::interop
