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

/** Throws std::runtime_error(message) unless `cond` holds. */
template <typename... Parts>
inline void check(bool cond, const Parts&... parts) {
  if (!cond) throw std::runtime_error(str_cat(parts...));
}

}  // namespace glide
