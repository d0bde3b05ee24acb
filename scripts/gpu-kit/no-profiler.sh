#!/usr/bin/env bash
# Replaces DJL's legacy-profiler JNI functions (torchStartProfile, torchStopProfile and their helper
# WriteProfilerEventsToStream, written against torch's enableProfilerLegacy / LegacyEvent, which newer torch may lack)
# by stubs that throw "profiler not available in this build". Everything else in the file is kept.
# usage: no-profiler.sh .../ai_djl_pytorch_jni_PyTorchLibrary_system.cc    (edits the file in place; bash + awk only)
set -euo pipefail
f=$1
awk '
  /^using namespace torch::autograd::profiler;/ { next }
  /#include <(torch\/csrc\/jit\/frontend|ATen)\/code_template.h>/ { next }
  /^\/\/ the code snippet is copied from torch\/csrc\/autograd\/profiler_legacy.cpp/ { skip = 1; stubs(); next }
  skip && /^JNIEXPORT .*Java_ai_djl_pytorch_jni_PyTorchLibrary_torchCudaEmptyCache/ { skip = 0 }
  !skip { print }
  function stubs() {
    print "// ivl gpu-kit: the legacy profiler is not built (see scripts/gpu-kit/no-profiler.sh)"
    print "JNIEXPORT void JNICALL Java_ai_djl_pytorch_jni_PyTorchLibrary_torchStartProfile("
    print "    JNIEnv* env, jobject jthis, jboolean juse_cuda, jboolean jrecord_shape, jboolean jprofile_memory) {"
    print "  env->ThrowNew(ENGINE_EXCEPTION_CLASS, \"profiler not available in this build\");"
    print "}"
    print ""
    print "JNIEXPORT void JNICALL Java_ai_djl_pytorch_jni_PyTorchLibrary_torchStopProfile("
    print "    JNIEnv* env, jobject jthis, jstring joutput_file) {"
    print "  env->ThrowNew(ENGINE_EXCEPTION_CLASS, \"profiler not available in this build\");"
    print "}"
    print ""
  }
' "$f" > "$f.patched"
# the patch must have taken: two stubs, no legacy profiler left, the function after them kept
[ "$(grep -c 'profiler not available in this build' "$f.patched")" = 2 ] \
  && ! grep -q 'LegacyEvent\|enableProfilerLegacy\|disableProfilerLegacy' "$f.patched" \
  && grep -q 'Java_ai_djl_pytorch_jni_PyTorchLibrary_torchCudaEmptyCache' "$f.patched" \
  || { echo "no-profiler.sh: $f does not have the expected profiler code; not patched" >&2; rm -f "$f.patched"; exit 1; }
mv "$f.patched" "$f"
