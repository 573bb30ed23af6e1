// Go: none (fuzzes conf/parse.go and server/opts.go of gnatsd v1.0.0)
// libFuzzer target for the config language and the option mapping.
//
// Each input is parsed with conf::Parse (with position tracking). When that
// succeeds the same bytes are written to one scratch file and go through
// conf::ParseFile, which must build the same tree, and ProcessConfigFile,
// then processOptions, MergeOptions and Options::Clone.
//
// Contract checked: the parser throws conf::ParseError and the mapping
// throws ConfigError, nothing else (an escaping exception aborts, which
// libFuzzer reports as a crash); no crash, leak or UB; no hang (-timeout).
//
// Includes. In Parse() a relative include is relative to the working
// directory, in ParseFile() to the scratch file's directory. `make fuzz` runs
// this from a copy of fuzz/corpus/conf, and at start-up every `inc_*` file of
// the working directory and of each corpus directory on the command line is
// copied next to the scratch file, so `include inc_users.conf` in a seed
// resolves to the same file both ways.
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <string>

#include "conf/parse.h"
#include "server/opts.h"

namespace conf = gnatsd::conf;
namespace server = gnatsd::server;

namespace {

std::string gScratchDir;
std::string gScratchFile;

std::string readAll(const std::string& path) {
  std::string out;
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return out;
  char buf[4096];
  for (;;) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n <= 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  return out;
}

bool writeAll(const std::string& path, const char* data, size_t size) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return false;
  size_t off = 0;
  while (off < size) {
    const ssize_t n = ::write(fd, data + off, size - off);
    if (n <= 0) break;
    off += static_cast<size_t>(n);
  }
  ::close(fd);
  return off == size;
}

// Copies the include targets (files named inc_*) of dir into the scratch dir.
void copyIncludeTargets(const std::string& dir) {
  DIR* d = ::opendir(dir.c_str());
  if (!d) return;
  while (dirent* e = ::readdir(d)) {
    const std::string name = e->d_name;
    if (name.rfind("inc_", 0) != 0) continue;
    const std::string data = readAll(dir + "/" + name);
    writeAll(gScratchDir + "/" + name, data.data(), data.size());
  }
  ::closedir(d);
}

void removeScratch() {
  DIR* d = ::opendir(gScratchDir.c_str());
  if (d) {
    while (dirent* e = ::readdir(d)) {
      const std::string name = e->d_name;
      if (name != "." && name != "..") ::unlink((gScratchDir + "/" + name).c_str());
    }
    ::closedir(d);
  }
  ::rmdir(gScratchDir.c_str());
}

// True if the text may hold an include directive (the keyword is caseless).
bool mentionsInclude(const std::string& text) {
  static constexpr char kWord[] = "include";
  for (size_t i = 0; i + sizeof kWord - 1 <= text.size(); ++i) {
    size_t j = 0;
    while (j < sizeof kWord - 1 && (text[i + j] | 0x20) == kWord[j]) ++j;
    if (j == sizeof kWord - 1) return true;
  }
  return false;
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int* argc, char*** argv) {
  // libFuzzer may leave with _Exit (time limit, crash), skipping atexit:
  // `make fuzz` points TMPDIR into its work directory, wiped on each run.
  const char* tmpdir = std::getenv("TMPDIR");
  std::string tmpl = std::string(tmpdir && *tmpdir ? tmpdir : "/tmp") + "/conf_fuzz.XXXXXX";
  if (!::mkdtemp(tmpl.data())) {
    std::perror("conf_fuzz: mkdtemp");
    std::abort();
  }
  gScratchDir = tmpl;
  gScratchFile = gScratchDir + "/fuzz.conf";
  std::atexit(removeScratch);
  copyIncludeTargets(".");
  for (int i = 1; i < *argc; ++i) {
    struct stat st;
    const char* arg = (*argv)[i];
    if (arg[0] != '-' && ::stat(arg, &st) == 0 && S_ISDIR(st.st_mode)) copyIncludeTargets(arg);
  }
  // ProcessConfigFile prints gnatsd's write_deadline warning on stdout;
  // libFuzzer reports on stderr, so nothing is lost.
  if (std::FILE* devnull = std::freopen("/dev/null", "w", stdout); !devnull) std::abort();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  nlohmann::json tree;
  try {
    conf::PositionMap positions;
    tree = conf::Parse(text, &positions);
  } catch (const conf::ParseError&) {
    return 0;
  }

  if (!writeAll(gScratchFile, text.data(), text.size())) {
    std::perror("conf_fuzz: writing the scratch file");
    std::abort();
  }
  // The two resolve relative includes against different directories, so
  // they are only held to the same answer when nothing is included.
  const bool includes = mentionsInclude(text);
  try {
    const nlohmann::json fromFile = conf::ParseFile(gScratchFile);
    if (!includes && fromFile != tree) {
      std::fprintf(stderr, "conf_fuzz: ParseFile and Parse built different trees\n");
      std::abort();
    }
  } catch (const conf::ParseError& e) {
    if (includes) return 0;
    std::fprintf(stderr, "conf_fuzz: Parse accepted what ParseFile rejects: %s\n", e.what());
    std::abort();
  }

  try {
    server::Options fileOpts = server::ProcessConfigFile(gScratchFile);
    server::processOptions(fileOpts);
    server::Options merged = server::MergeOptions(fileOpts, server::Options());
    server::Options copy = merged.Clone();
    (void)copy;
  } catch (const server::ConfigError&) {
  }
  return 0;
}
