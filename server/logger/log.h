// Go: logger/log.go and logger/syslog.go (gnatsd v1.0.0)
// Log back ends: stderr, file, local syslog and remote syslog.
#pragma once

#include <cstdio>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

namespace gnatsd::logger {

// The interface the server logs through (Go: server.Logger). Messages arrive
// already formatted. Implementations are thread safe. Fatal only logs: the
// caller decides how to stop (library code never exits the process).
class Logger {
 public:
  virtual ~Logger() = default;
  virtual void Notice(std::string_view msg) = 0;
  virtual void Error(std::string_view msg) = 0;
  virtual void Fatal(std::string_view msg) = 0;
  virtual void Debug(std::string_view msg) = 0;
  virtual void Trace(std::string_view msg) = 0;
};

// Writes gnatsd's line format to a FILE*: `[pid] 2017/07/13 10:00:00.848742 [INF] text`.
class StdLogger : public Logger {
 public:
  // Logs to stderr. colors: ANSI-coloured labels (gnatsd uses them on a TTY).
  StdLogger(bool time, bool debug, bool trace, bool colors, bool pid);
  ~StdLogger() override;
  void Notice(std::string_view msg) override { write(infoLabel_, msg); }
  void Error(std::string_view msg) override { write(errorLabel_, msg); }
  void Fatal(std::string_view msg) override { write(fatalLabel_, msg); }
  void Debug(std::string_view msg) override {
    if (debug_) write(debugLabel_, msg);
  }
  void Trace(std::string_view msg) override {
    if (trace_) write(traceLabel_, msg);
  }

 protected:
  // For FileLogger: takes ownership of f (closed on destruction).
  StdLogger(FILE* f, bool time, bool debug, bool trace, bool pid);

 private:
  void write(const std::string& label, std::string_view msg);
  void setLabels(bool colors);

  struct FileClose {
    void operator()(FILE* f) const noexcept { std::fclose(f); }
  };
  std::unique_ptr<FILE, FileClose> owned_;  // null when logging to stderr
  FILE* out_;
  bool time_, debug_, trace_;
  std::string prefix_;
  std::string infoLabel_, errorLabel_, fatalLabel_, debugLabel_, traceLabel_;
  std::mutex mu_;  // one line at a time
};

// Appends to a file (created with mode 0660). Throws std::runtime_error
// "error opening file: <err>" when the file cannot be opened.
class FileLogger : public StdLogger {
 public:
  FileLogger(const std::string& filename, bool time, bool debug, bool trace, bool pid);
};

// Local syslog(3), facility DAEMON, tagged with the program name.
class SysLogger : public Logger {
 public:
  SysLogger(bool debug, bool trace);
  ~SysLogger() override;
  void Notice(std::string_view msg) override;
  void Error(std::string_view msg) override;
  void Fatal(std::string_view msg) override;
  void Debug(std::string_view msg) override;
  void Trace(std::string_view msg) override;

 private:
  bool debug_, trace_;
  std::string tag_;
};

// Remote syslog over udp://, tcp:// or unix:// (RFC 3164 framing).
// Throws std::runtime_error with gnatsd's texts for a bad URL or a failed dial.
class RemoteSysLogger : public Logger {
 public:
  RemoteSysLogger(const std::string& fqn, bool debug, bool trace);
  ~RemoteSysLogger() override;
  void Notice(std::string_view msg) override { send(5, msg); }
  void Error(std::string_view msg) override { send(3, msg); }
  void Fatal(std::string_view msg) override { send(2, msg); }
  void Debug(std::string_view msg) override {
    if (debug_) send(7, msg);
  }
  void Trace(std::string_view msg) override {
    if (trace_) send(5, msg);
  }

 private:
  void send(int severity, std::string_view msg);
  bool debug_, trace_;
  int fd_ = -1;
  bool stream_ = false;
  std::string tag_, hostname_;
  std::mutex mu_;
};

// Go: GetSysLoggerTag. The basename of the running program.
std::string GetSysLoggerTag();

}  // namespace gnatsd::logger
