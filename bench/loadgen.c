/* The callers of the `exec --server` latency benchmark (bench/server.py): CLIENTS threads,
 * each making REQUESTS/CLIENTS GETs in a row on a new connection, as SDKs do, all starting at
 * once. A compiled client, so that what is timed is the endpoint, not the caller: 50 Python
 * callers on 2 cores spend more per request than the endpoint does.
 *
 * Reads AWS_CONTAINER_CREDENTIALS_FULL_URI and AWS_CONTAINER_AUTHORIZATION_TOKEN from its
 * environment (the token never reaches argv). Prints one line per request: the latency in
 * microseconds and the AccessKeyId served. Usage: loadgen CLIENTS REQUESTS
 */
#include <arpa/inet.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static struct sockaddr_in addr;
static char request[4096];
static int each;
static pthread_barrier_t start;

struct result { double micros; char key[64]; };

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1e6 + t.tv_nsec / 1e3;
}

static void *caller(void *arg) {
    struct result *out = arg;
    char buffer[8192];
    pthread_barrier_wait(&start);
    for (int i = 0; i < each; i++) {
        double t0 = now();
        int fd = socket(AF_INET, SOCK_STREAM, 0);
        size_t got = 0;
        out[i].key[0] = 0;
        if (fd >= 0 && connect(fd, (struct sockaddr *)&addr, sizeof addr) == 0 &&
            write(fd, request, strlen(request)) == (ssize_t)strlen(request)) {
            ssize_t n;
            while ((n = read(fd, buffer + got, sizeof buffer - 1 - got)) > 0) got += (size_t)n;
        }
        if (fd >= 0) close(fd);
        out[i].micros = now() - t0;
        buffer[got] = 0;
        char *key = strstr(buffer, "\"AccessKeyId\": \"");
        if (!key) key = strstr(buffer, "\"AccessKeyId\":\"");
        if (key) {
            key = strchr(key + 13, '"');
            key = key ? strchr(key + 1, '"') : NULL;
            if (key) sscanf(key + 1, "%63[^\"]", out[i].key);
        }
    }
    return NULL;
}

int main(int argc, char **argv) {
    const char *uri = getenv("AWS_CONTAINER_CREDENTIALS_FULL_URI");
    const char *token = getenv("AWS_CONTAINER_AUTHORIZATION_TOKEN");
    char host[64];
    int port = 0;
    char path[256] = "/";
    if (argc != 3 || !uri || !token ||
        sscanf(uri, "http://%63[^:]:%d%255s", host, &port, path) < 2) {
        fprintf(stderr, "usage: loadgen CLIENTS REQUESTS (under stsenv exec --server)\n");
        return 2;
    }
    int clients = atoi(argv[1]);
    each = atoi(argv[2]) / clients;
    addr.sin_family = AF_INET;
    addr.sin_port = htons((unsigned short)port);
    inet_pton(AF_INET, host, &addr.sin_addr);
    snprintf(request, sizeof request,
             "GET %s HTTP/1.1\r\nHost: %s:%d\r\nAuthorization: %s\r\nConnection: close\r\n\r\n",
             path, host, port, token);
    pthread_t *threads = calloc((size_t)clients, sizeof *threads);
    struct result *results = calloc((size_t)(clients * each), sizeof *results);
    pthread_barrier_init(&start, NULL, (unsigned)clients);
    for (int c = 0; c < clients; c++)
        pthread_create(&threads[c], NULL, caller, results + c * each);
    for (int c = 0; c < clients; c++) pthread_join(threads[c], NULL);
    for (int i = 0; i < clients * each; i++) printf("%.1f %s\n", results[i].micros, results[i].key);
    return 0;
}
