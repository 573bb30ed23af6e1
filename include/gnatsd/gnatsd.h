// C++ only: the installed API of gnatsd-cpp, all of it
// One include for a program that embeds the server.
#pragma once

#include "gnatsd/inproc.h"   // InProcessConn: the program's own connection, no socket
#include "gnatsd/logger.h"   // Logger: the server's log lines, to the program
#include "gnatsd/options.h"  // Options, ConfigError
#include "gnatsd/server.h"   // Server, Varz
