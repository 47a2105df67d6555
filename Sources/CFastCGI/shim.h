#ifndef TENANT_WHATSAPP_CFASTCGI_SHIM_H
#define TENANT_WHATSAPP_CFASTCGI_SHIM_H
// libfcgi's reentrant API only; fcgi_stdio.h keeps global state and its stdio macros do not reach Swift.
#include <fcgiapp.h>
#endif
