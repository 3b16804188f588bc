/* titanic-api: placeholder until the API lands. */
#include <stdio.h>
int main(void) {
    fputs("titanic-api: not built yet\n", stderr);
    return 1;
}
