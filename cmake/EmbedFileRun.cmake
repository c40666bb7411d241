# Script half of EmbedFile.cmake: run with -DSOURCE -DOUTPUT -DSYMBOL.
file(READ ${SOURCE} hex HEX)
file(SIZE ${SOURCE} size)
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," bytes "${hex}")
string(REGEX REPLACE "(0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,)" "\\1\n\t" bytes "${bytes}")
file(WRITE ${OUTPUT}
	"/* Generated from ${SOURCE} by cmake/EmbedFile.cmake. */\n"
	"#include <stddef.h>\n"
	"extern const char ${SYMBOL}[];\n"
	"extern const size_t ${SYMBOL}_len;\n"
	"const char ${SYMBOL}[] = {\n\t${bytes}0x00\n};\n"
	"const size_t ${SYMBOL}_len = ${size};\n")
