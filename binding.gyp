{
  "targets": [
    {
      "target_name": "netprobe_icmp",
      "sources": ["native/icmp.c", "native/packet.c", "native/codec.c"],
      "cflags": ["-O2", "-Wall", "-Wextra", "-Wno-unused-parameter", "-std=gnu11"],
      "defines": ["NAPI_VERSION=8"],
      "conditions": [["OS!='linux'", {"type": "none", "sources!": ["native/icmp.c", "native/packet.c", "native/codec.c"]}]]
    }
  ]
}
