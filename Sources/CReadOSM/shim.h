#ifndef CREADOSM_SHIM_H
#define CREADOSM_SHIM_H
#include <readosm.h>
#include <zlib.h>
#include <expat.h>
#endif
