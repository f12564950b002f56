#include "serve/listen_socket.hpp"

#include <fmt/format.h>
#include <netdb.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace medllm::serve {

void set_exclusive_listen_options(int socket) {
  const int yes = 1;
  setsockopt(socket, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
}

namespace {

std::string describe_errno(int error, const std::string& host, int port) {
  if (error == EADDRINUSE) return fmt::format("port {} on {} is already in use", port, host);
  if (error == EADDRNOTAVAIL) return fmt::format("{} is not an address of this machine", host);
  if (error == EACCES) return fmt::format("port {} on {} needs privileges this process lacks", port, host);
  return fmt::format("cannot listen on {}:{}: {}", host, port, std::strerror(error));
}

// Binds and listens on one resolved address as the server would; errno's value when it fails.
int try_listen(const addrinfo& address) {
  const int fd = ::socket(address.ai_family, address.ai_socktype, address.ai_protocol);
  if (fd < 0) return errno;
  set_exclusive_listen_options(fd);
  int error = 0;
  if (::bind(fd, address.ai_addr, address.ai_addrlen) != 0 || ::listen(fd, 1) != 0) error = errno;
  ::close(fd);
  return error;
}

}  // namespace

std::string why_cannot_listen(const std::string& host, int port) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE;
  addrinfo* found = nullptr;
  const std::string service = std::to_string(port);
  if (const int status = ::getaddrinfo(host.empty() ? nullptr : host.c_str(), service.c_str(), &hints, &found)) {
    return fmt::format("cannot resolve the host '{}': {}", host, ::gai_strerror(status));
  }
  int error = 0;
  for (const addrinfo* a = found; a && error == 0; a = a->ai_next) error = try_listen(*a);
  ::freeaddrinfo(found);
  return error == 0 ? "" : describe_errno(error, host, port);
}

}  // namespace medllm::serve
