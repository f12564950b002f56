#pragma once
// The listening socket's rules: a port belongs to one server. cpp-httplib's default options set
// SO_REUSEPORT, which lets a second server bind the same port and receive a random share of the
// connections; the server sets these options instead, and names the reason when it cannot listen.

#include <string>

namespace medllm::serve {

// SO_REUSEADDR only: a restarted server may bind while its old connections sit in TIME_WAIT, but a
// port that another socket listens on stays refused.
void set_exclusive_listen_options(int socket);

// Why no socket can listen on host:port right now ("port 8080 on 127.0.0.1 is already in use"),
// or "" when one could.
std::string why_cannot_listen(const std::string& host, int port);

}  // namespace medllm::serve
