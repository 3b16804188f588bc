/* titanic-train: placeholder until the model lands. */
#include <stdio.h>
int main(void) {
    fputs("titanic-train: not built yet\n", stderr);
    return 1;
}
