# embed_file(SOURCE OUTPUT SYMBOL): turns a file into a C source defining
# `const char SYMBOL[]` (NUL-terminated) and `const size_t SYMBOL_len`, so
# the binary carries the file and the two never drift apart.
function(embed_file source output symbol)
	add_custom_command(
		OUTPUT ${output}
		COMMAND ${CMAKE_COMMAND} -DSOURCE=${source} -DOUTPUT=${output}
			-DSYMBOL=${symbol} -P ${CMAKE_CURRENT_FUNCTION_LIST_DIR}/EmbedFileRun.cmake
		DEPENDS ${source} ${CMAKE_CURRENT_FUNCTION_LIST_DIR}/EmbedFileRun.cmake
		COMMENT "Embedding ${source}"
		VERBATIM)
endfunction()
