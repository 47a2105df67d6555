/*
 * The smallest useful FastCGI responder: the floor the benchmark (scripts/bench) compares
 * tenant-whatsapp against. Same shape as libfcgi's examples/threaded.c: 4 threads, each
 * looping on FCGX_Accept_r on the socket spawn-fcgi hands over as file descriptor 0, each
 * answering the same JSON body as GET /api/health with the same headers.
 *
 *   gcc -O2 -o hello bench/hello.c -lfcgi -lpthread
 *   spawn-fcgi -n -s /path/hello.sock -M 0660 -- ./hello
 */
#include <fcgiapp.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#define THREAD_COUNT 4

static const char answer[] =
    "Status: 200 OK\r\n"
    "Content-Type: application/json; charset=utf-8\r\n"
    "Cache-Control: no-store\r\n"
    "Content-Length: 15\r\n"
    "\r\n"
    "{\"status\":\"ok\"}";

static void *serve(void *unused) {
    (void)unused;
    FCGX_Request request;
    if (FCGX_InitRequest(&request, 0, 0) != 0) {
        fputs("hello: FCGX_InitRequest failed\n", stderr);
        return NULL;
    }
    /* FCGX_Accept_r finishes the previous request (flush, close) before accepting the next. */
    while (FCGX_Accept_r(&request) >= 0) {
        FCGX_PutStr(answer, (int)(sizeof answer - 1), request.out);
    }
    FCGX_Free(&request, 1);
    return NULL;
}

int main(void) {
    if (FCGX_Init() != 0) {
        fputs("hello: FCGX_Init failed\n", stderr);
        return 1;
    }
    pthread_t threads[THREAD_COUNT];
    for (int i = 1; i < THREAD_COUNT; i++) {
        if (pthread_create(&threads[i], NULL, serve, NULL) != 0) {
            fputs("hello: pthread_create failed\n", stderr);
            return 1;
        }
    }
    /* The main thread is the first worker; SIGTERM's default action ends the whole process. */
    serve(NULL);
    return 0;
}
