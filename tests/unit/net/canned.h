/* canned.h — a tiny HTTP server in the test process for the net/ unit
 * tests: a thread per connection on loopback, canned answers chosen by path
 * (/ok, /echo, /status/N, /sleep/MS, /huge, /huge-unannounced, /redirect,
 * /drop). server_start and server_stop are cmocka group fixtures; srv.port
 * is the port. */
#ifndef CHIMERA_TEST_NET_CANNED_H
#define CHIMERA_TEST_NET_CANNED_H

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static struct {
    int fd;
    int port;
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int stop;
    int live;                   /* connection threads still running */
} srv = { .fd = -1, .mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER };

static int send_all(int fd, const char *p, size_t n)
{
    while (n) {
        ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
        if (w <= 0)
            return -1;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

static void send_str(int fd, const char *s)
{
    send_all(fd, s, strlen(s));
}

static void respond(int fd, int status, const char *extra, const char *body, size_t len)
{
    char head[512];
    int n = snprintf(head, sizeof head,
                     "HTTP/1.1 %d X\r\nContent-Length: %zu\r\nConnection: close\r\n%s\r\n",
                     status, len, extra ? extra : "");
    if (send_all(fd, head, (size_t)n) == 0)
        send_all(fd, body, len);
}

/* Sleeps ms, or less if the client hangs up. */
static void nap(int fd, int ms)
{
    struct pollfd p = { .fd = fd, .events = POLLIN };
    char c;
    if (poll(&p, 1, ms) > 0 && recv(fd, &c, 1, MSG_PEEK) <= 0)
        return;
}

/* Reads one request (head + Content-Length body) into req. */
static ssize_t read_request(int fd, char *req, size_t cap)
{
    size_t got = 0;
    while (got < cap - 1) {
        ssize_t n = recv(fd, req + got, cap - 1 - got, 0);
        if (n <= 0)
            return -1;
        got += (size_t)n;
        req[got] = '\0';
        char *end = strstr(req, "\r\n\r\n");
        if (!end)
            continue;
        char *cl = strcasestr(req, "Content-Length:");
        size_t want = (size_t)(end + 4 - req) + (cl && cl < end ? strtoul(cl + 15, NULL, 10) : 0);
        if (got >= want)
            return (ssize_t)got;
    }
    return -1;
}

static void stream(int fd, size_t chunks)
{
    static char block[16384];
    memset(block, 'x', sizeof block);
    for (size_t i = 0; i < chunks; i++)
        if (send_all(fd, block, sizeof block) != 0)
            return;
}

static void serve(int fd)
{
    char req[8192], path[256] = "";
    if (read_request(fd, req, sizeof req) < 0 || sscanf(req, "%*s %255s", path) != 1)
        return;
    if (strcmp(path, "/ok") == 0) {
        respond(fd, 200, NULL, "hello", 5);
    } else if (strcmp(path, "/echo") == 0) {
        respond(fd, 200, NULL, req, strlen(req));
    } else if (strncmp(path, "/status/", 8) == 0) {
        respond(fd, (int)strtol(path + 8, NULL, 10), NULL, "{\"error\":{\"message\":\"no\"}}", 26);
    } else if (strncmp(path, "/sleep/", 7) == 0) {
        nap(fd, (int)strtol(path + 7, NULL, 10));
        respond(fd, 200, NULL, "slept", 5);
    } else if (strcmp(path, "/huge") == 0) {            /* announced length */
        send_str(fd, "HTTP/1.1 200 X\r\nContent-Length: 1048576\r\n\r\n");
        stream(fd, 64);
    } else if (strcmp(path, "/huge-unannounced") == 0) {  /* close-delimited */
        send_str(fd, "HTTP/1.1 200 X\r\nConnection: close\r\n\r\n");
        stream(fd, 64);
    } else if (strcmp(path, "/redirect") == 0) {
        respond(fd, 302, "Location: /ok\r\n", "", 0);
    }                                                     /* /drop: nothing */
}

static void *conn_main(void *arg)
{
    int fd = (int)(intptr_t)arg;
    serve(fd);
    shutdown(fd, SHUT_RDWR);
    close(fd);
    pthread_mutex_lock(&srv.mu);
    srv.live--;
    pthread_cond_broadcast(&srv.cv);
    pthread_mutex_unlock(&srv.mu);
    return NULL;
}

static void *accept_main(void *arg)
{
    pthread_attr_t attr;
    (void)arg;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    pthread_attr_setstacksize(&attr, 256 * 1024);
    for (;;) {
        struct pollfd p = { .fd = srv.fd, .events = POLLIN };
        pthread_mutex_lock(&srv.mu);
        int stop = srv.stop;
        pthread_mutex_unlock(&srv.mu);
        if (stop)
            break;
        if (poll(&p, 1, 50) <= 0)
            continue;
        int c = accept(srv.fd, NULL, NULL);
        if (c < 0)
            continue;
        pthread_t t;
        pthread_mutex_lock(&srv.mu);
        srv.live++;
        pthread_mutex_unlock(&srv.mu);
        if (pthread_create(&t, &attr, conn_main, (void *)(intptr_t)c) != 0) {
            close(c);
            pthread_mutex_lock(&srv.mu);
            srv.live--;
            pthread_mutex_unlock(&srv.mu);
        }
    }
    pthread_attr_destroy(&attr);
    return NULL;
}

static int server_start(void **state)
{
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    socklen_t len = sizeof a;
    int one = 1;
    (void)state;
    srv.fd = socket(AF_INET, SOCK_STREAM, 0);
    setsockopt(srv.fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (srv.fd < 0 || bind(srv.fd, (struct sockaddr *)&a, sizeof a) != 0 ||
        listen(srv.fd, 1024) != 0 || getsockname(srv.fd, (struct sockaddr *)&a, &len) != 0)
        return -1;
    srv.port = ntohs(a.sin_port);
    return pthread_create(&srv.thread, NULL, accept_main, NULL) == 0 ? 0 : -1;
}

/* Stops accepting and waits (bounded) for the connection threads. */
static int server_stop(void **state)
{
    struct timespec until;
    (void)state;
    pthread_mutex_lock(&srv.mu);
    srv.stop = 1;
    pthread_mutex_unlock(&srv.mu);
    pthread_join(srv.thread, NULL);
    close(srv.fd);
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += 5;
    pthread_mutex_lock(&srv.mu);
    while (srv.live > 0 && pthread_cond_timedwait(&srv.cv, &srv.mu, &until) == 0)
        ;
    pthread_mutex_unlock(&srv.mu);
    return 0;
}

#endif
