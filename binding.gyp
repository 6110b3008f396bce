{
  "targets": [
    {
      "target_name": "netprobe_icmp",
      "sources": ["native/icmp.c", "native/packet.c", "native/codec.c"],
      "cflags": ["-O2", "-Wall", "-Wextra", "-Wno-unused-parameter", "-std=gnu11"],
      "defines": ["NAPI_VERSION=8"],
      "conditions": [["OS!='linux'", {"type": "none", "sources!": ["native/icmp.c", "native/packet.c", "native/codec.c"]}]]
    },
    {
      "target_name": "netprobe_dns",
      "sources": ["native/dns_udp.c"],
      "cflags": ["-O2", "-Wall", "-Wextra", "-Wno-unused-parameter", "-std=gnu11"],
      "defines": ["NAPI_VERSION=8"],
      "conditions": [["OS!='linux'", {"type": "none", "sources!": ["native/dns_udp.c"]}]]
    },
    {
      "target_name": "netprobe_tcp",
      "sources": ["native/tcp_connect.c"],
      "cflags": ["-O2", "-Wall", "-Wextra", "-Wno-unused-parameter", "-std=gnu11"],
      "defines": ["NAPI_VERSION=8"],
      "conditions": [["OS!='linux'", {"type": "none", "sources!": ["native/tcp_connect.c"]}]]
    }
  ]
}
