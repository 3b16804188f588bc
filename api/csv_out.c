/* CSV answers. See csv_out.h. */
#include "csv_out.h"

#include <math.h>
#include <string.h>

int csv_wanted(http_request *r) {
    const char *accept = MHD_lookup_connection_value(r->connection, MHD_HEADER_KIND, "Accept");
    return accept && strstr(accept, "text/csv") != NULL;
}

static void end(FILE *out, char sep) {
    fputs(sep == '\n' ? "\r\n" : ",", out);
}

void csv_text(FILE *out, const char *text, char sep) {
    if (!strpbrk(text, ",\"\r\n")) {
        fputs(text, out);
    } else {
        fputc('"', out);
        for (const char *c = text; *c; c++) {
            if (*c == '"')
                fputc('"', out);
            fputc(*c, out);
        }
        fputc('"', out);
    }
    end(out, sep);
}

void csv_real(FILE *out, double value, char sep) {
    if (!isnan(value))
        fprintf(out, "%.15g", value);
    end(out, sep);
}

void csv_passenger_header(FILE *out) {
    fputs("passenger_id,uuid,survived,pclass,name,sex,age,sibsp,parch,ticket,fare,cabin,embarked"
          "\r\n",
          out);
}

/* The whole numbers are written by csv_real too: %.15g writes any int as %d would. */
void csv_passenger(FILE *out, const passenger *p) {
    char embarked[2] = {p->embarked, '\0'};
    csv_real(out, p->id, ',');
    csv_text(out, p->uuid, ',');
    csv_text(out, p->survived < 0 ? "" : p->survived ? "1" : "0", ',');
    csv_real(out, p->pclass, ',');
    csv_text(out, p->name, ',');
    csv_text(out, passenger_sex_name(p->sex), ',');
    csv_real(out, p->age, ',');
    csv_real(out, p->sibsp, ',');
    csv_real(out, p->parch, ',');
    csv_text(out, p->ticket, ',');
    csv_real(out, p->fare, ',');
    csv_text(out, p->cabin, ',');
    csv_text(out, embarked, '\n');
}
