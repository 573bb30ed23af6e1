// Go: strconv.Quote and IsPrint, fmt's %v and %T, time.Duration.String and
// encoding/json's string escaping (Go standard library)
// gnatsd's messages and JSON print values through these; we must print the
// same bytes.
#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include <nlohmann/json_fwd.hpp>

namespace gnatsd::server {

// Go: strconv.Quote (fmt's %q of a string or []byte), in double quotes:
// \" and \\ for a quote and a backslash; \a \b \f \n \r \t \v; \xNN for a
// byte that is not valid UTF-8 and for other ASCII controls; \uNNNN or
// \UNNNNNNNN for a rune IsPrint refuses; anything else as it is.
std::string quoteGo(std::string_view s);

// Go: strconv.IsPrint. Letters, marks, numbers, punctuation, symbols and the
// ASCII space (tables of isprint.cpp, generated from Go).
bool IsPrint(char32_t r);

// Go's %v and %T of a value the config parser produced (string, bool, int64,
// float64, []interface {}, map[string]interface {}): "1e+06", "[a b]",
// "map[k:v]"; "int64", "[]interface {}". Map keys print sorted (the tree's
// order; Go sorts them since 1.12, 1.0.0's Go printed them in random order).
std::string goValue(const nlohmann::json& v);
const char* goType(const nlohmann::json& v);

// Go: time.Duration.String ("2s", "1m30s", "250ms", "1.5µs", "0s").
std::string durationString(std::chrono::nanoseconds d);

// A JSON string literal as Go's encoding/json writes it: \" \\ \n \r \t;
// \u00NN for other controls; <, >, &, U+2028 and U+2029 as \uNNNN; a byte
// that is not valid UTF-8 as \ufffd.
std::string goJSONString(std::string_view s);

}  // namespace gnatsd::server
