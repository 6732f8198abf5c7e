// Error reporting for native code: every failure is a C++ exception that the addon turns into a JS
// Error (the process never aborts).
#pragma once
#include <sstream>
#include <stdexcept>
#include <string>

namespace glide {

/** Concatenates any streamable values into one message. */
template <typename... Parts>
std::string str_cat(const Parts&... parts) {
  std::ostringstream out;
  (out << ... << parts);
  return out.str();
}

/** Throws std::runtime_error with the concatenated message. */
template <typename... Parts>
[[noreturn]] void fail(const Parts&... parts) {
  throw std::runtime_error(str_cat(parts...));
}

/** Throws std::runtime_error(message) unless `cond` holds. The message parts are always evaluated:
 *  prefer GLIDE_CHECK where they are costly (shape strings on a hot path). */
template <typename... Parts>
inline void check(bool cond, const Parts&... parts) {
  if (!cond) fail(parts...);
}

}  // namespace glide

/** check() whose message parts are evaluated only when `cond` fails. */
#define GLIDE_CHECK(cond, ...)               \
  do {                                       \
    if (!(cond)) ::glide::fail(__VA_ARGS__); \
  } while (0)
