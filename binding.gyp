{
  "targets": [
    {
      "target_name": "hubtune_native",
      "sources": ["native/addon.cc", "native/allocator.cc", "native/boundary.cc", "native/ops.cc", "native/vision_ops.cc", "native/autocast.cc", "native/checkpoint.cc", "native/quantized.cc", "native/profiler.cc", "native/fused_optim.cc", "native/dnnl_gemm.cc", "native/int8_matmul.cc", "native/distributed.cc", "native/ddp.cc"],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")", "<!@(node scripts/libtorch-config.mjs include)"],
      "defines": ["NAPI_CPP_EXCEPTIONS", "NODE_ADDON_API_CPP_EXCEPTIONS_ALL", "NAPI_VERSION=8", "<!@(node scripts/libtorch-config.mjs defines)"],
      "cflags!": ["-fno-exceptions", "-fno-rtti"],
      "cflags_cc!": ["-fno-exceptions", "-fno-rtti"],
      "cflags_cc": ["-std=c++17", "-fexceptions", "-frtti", "-O2", "-Wno-unused-parameter", "-Wno-deprecated-declarations", "-Wno-sign-compare", "-idirafter", "<(module_root_dir)/native/shim"],
      "libraries": ["<!@(node scripts/libtorch-config.mjs libs)"],
      "conditions": [
        ["<!(node -p \"require('fs').existsSync('/usr/include/oneapi/dnnl/dnnl.hpp') ? 1 : 0\")==1", {
          "defines": ["HUBTUNE_DNNL"], "libraries": ["-ldnnl"]
        }]
      ]
    },
    {
      "target_name": "hubtune_image",
      "sources": ["native/image_ops.cc", "native/image_jpeg.cc"],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "defines": ["NAPI_CPP_EXCEPTIONS", "NAPI_VERSION=8"],
      "conditions": [
        ["<!(node -e \"process.stdout.write(require('fs').existsSync('/usr/include/jpeglib.h') ? '1' : '0')\")==1", {
          "defines": ["HUBTUNE_JPEG"], "libraries": ["-ljpeg"]
        }]
      ],
      "cflags!": ["-fno-exceptions"],
      "cflags_cc!": ["-fno-exceptions"],
      "cflags_cc": ["-std=c++17", "-fexceptions", "-O3"]
    }
  ]
}
