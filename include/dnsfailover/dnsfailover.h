/* Everything a plugin may use. */
#ifndef DNSFAILOVER_H
#define DNSFAILOVER_H
#include <dnsfailover/addr.h>
#include <dnsfailover/aws.h>
#include <dnsfailover/http.h>
#include <dnsfailover/log.h>
#include <dnsfailover/metrics.h>
#include <dnsfailover/plugin.h>
#include <dnsfailover/tsig.h>
#include <dnsfailover/util.h>
#endif
