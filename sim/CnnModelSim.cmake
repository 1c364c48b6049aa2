# cnn_model_simulator(<target> MODEL <file.onnx> [PAR auto|N] [GHDL2V_SKIP <rules>] [FIFO NAME=DEPTH,...]
#                     [TARGET min|mid|max|CYCLES])
# A model's hardware simulator as a target of this build. The work is the
# per-model CMake project sim/model (cnnc emit -> GHDL -> verilate() with the
# harness), configured and built by sim/flow.sh in BUILD/hw/<stem>[.parN]
# [.skipR] under a lock (CTest runs a model's tests in parallel; `make sim`
# and `make regress` use the same folders). Not part of `all`.
# Sets <target>_COMMAND in the caller's scope: the target's command, which a
# CTest fixture runs as it is (a test must not start a build of this tree:
# two at once would race on cnnc and the harness, which `make test` has built).
function(cnn_model_simulator target)
  cmake_parse_arguments(A "" "MODEL;PAR;GHDL2V_SKIP;FIFO;TARGET" "" ${ARGN})
  if(NOT A_PAR)
    set(A_PAR auto)
  endif()
  set(cmd ${CMAKE_COMMAND} -E env PAR=${A_PAR} CNN_GHDL2V_SKIP=${A_GHDL2V_SKIP} FIFO=${A_FIFO} TARGET=${A_TARGET}
          ${CMAKE_SOURCE_DIR}/sim/flow.sh ${CMAKE_BINARY_DIR} ${A_MODEL})
  add_custom_target(${target} COMMAND ${cmd} COMMENT "the simulator of ${A_MODEL}" VERBATIM)
  add_dependencies(${target} cnnc cnn_harness)
  set(${target}_COMMAND ${cmd} PARENT_SCOPE)
endfunction()
