{
  "targets": [
    {
      "target_name": "glide_native",
      "sources": ["<!@(node scripts/native-sources.cjs)", "<!@(node scripts/onednn.cjs sources)"],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")", "native"],
      "defines": ["NAPI_VERSION=8", "NAPI_CPP_EXCEPTIONS"],
      "cflags!": ["-fno-exceptions"],
      "cflags_cc!": ["-fno-exceptions", "-fno-rtti"],
      "cflags_cc": ["-std=c++17", "-O3", "-march=native", "-fopenmp", "-fexceptions"],
      "ldflags": ["-fopenmp"],
      "conditions": [
        ["'<!(node scripts/onednn.cjs detect)'=='1'", {
          "defines": ["GLIDE_HAVE_ONEDNN=1"],
          "libraries": ["-ldnnl"]
        }]
      ]
    }
  ]
}
