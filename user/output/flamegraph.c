/* SPDX-License-Identifier: GPL-2.0-only */
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "output/flamegraph.h"
#include "output/stackset.h"
#include "lib/util.h"

void folded_init(struct folded *f)
{
	strmap_init(&f->m);
	f->total = 0;
}

void folded_free(struct folded *f)
{
	strmap_free(&f->m);
}

int folded_add(struct folded *f, const char *stack, uint64_t weight)
{
	struct strmap_entry *e = strmap_get(&f->m, stack);

	if (!e)
		return -ENOMEM;
	e->val += weight;
	f->total += weight;
	return 0;
}

/* A growing text buffer. */
struct buf {
	char *p;
	size_t len, cap;
	int err;
};

static void bprintf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void bprintf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (b->err)
		return;
	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
		va_end(ap);
		if (n < 0) {
			b->err = -EINVAL;
			return;
		}
		if (b->len + n < b->cap)
			break;
		{
			size_t cap = (b->cap + n + 1) * 2;
			char *p = realloc(b->p, cap);

			if (!p) {
				b->err = -ENOMEM;
				return;
			}
			b->p = p;
			b->cap = cap;
		}
	}
	b->len += n;
}

int folded_write(const struct folded *f, const char *path)
{
	struct strmap_entry **v = strmap_sorted(&f->m);
	struct buf b = { 0 };
	int err;

	if (!v)
		return -ENOMEM;
	bprintf(&b, "%s", "");
	for (size_t i = 0; i < f->m.n; i++)
		bprintf(&b, "%s %llu\n", v[i]->key, (unsigned long long)v[i]->val);
	free(v);
	err = b.err ? b.err : write_file_atomic(path, b.p ? b.p : "", b.len);
	free(b.p);
	return err;
}

/* ---- reading a folded file ---- */

int folded_read(struct folded *f, const char *path, char *err, int errlen)
{
	struct stackset s;
	int src, e;

	stackset_init(&s);
	src = stackset_add_source(&s, path, NULL, NULL, 0);
	if (src < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(-src));
		return src;
	}
	e = stackset_read_folded(&s, src, SS_CPU, path, err, errlen);
	for (size_t i = 0; i < s.n && !e; i++)
		if (folded_add(f, s.st[i].line, s.st[i].weight)) {
			snprintf(err, errlen, "%s: %s", path, strerror(ENOMEM));
			e = -ENOMEM;
		}
	stackset_free(&s);
	return e;
}

/* ---- the flamegraph ---- */

struct node {
	char *name;
	uint64_t value; /* weight in the drawn profile */
	uint64_t base;  /* weight in the base profile (differential flamegraphs) */
	struct node **kids;
	int nkids, capkids;
};

static struct node *child(struct node *n, const char *name, size_t len)
{
	struct node *c;

	/* stacks arrive sorted: a repeated child is the last one */
	if (n->nkids && strlen(n->kids[n->nkids - 1]->name) == len && !strncmp(n->kids[n->nkids - 1]->name, name, len))
		return n->kids[n->nkids - 1];
	for (int i = 0; i < n->nkids; i++)
		if (strlen(n->kids[i]->name) == len && !strncmp(n->kids[i]->name, name, len))
			return n->kids[i];
	if (n->nkids == n->capkids) {
		int cap = n->capkids ? n->capkids * 2 : 4;
		struct node **k = realloc(n->kids, cap * sizeof(*k));

		if (!k)
			return NULL;
		n->kids = k;
		n->capkids = cap;
	}
	c = calloc(1, sizeof(*c));
	if (!c || !(c->name = strndup(name, len))) {
		free(c);
		return NULL;
	}
	n->kids[n->nkids++] = c;
	return c;
}

static void node_free(struct node *n)
{
	for (int i = 0; i < n->nkids; i++)
		node_free(n->kids[i]);
	free(n->kids);
	free(n->name);
	free(n);
}

static int depth_of(const struct node *n)
{
	int d = 0;

	for (int i = 0; i < n->nkids; i++) {
		int k = depth_of(n->kids[i]);

		if (k > d)
			d = k;
	}
	return d + 1;
}

/* Add every stack of f into the tree under root, into value (base false) or base (true). */
static int tree_add(struct node *root, const struct folded *f, bool base)
{
	struct strmap_entry **v = strmap_sorted(&f->m);

	if (!v)
		return -ENOMEM;
	for (size_t i = 0; i < f->m.n; i++) {
		const char *s = v[i]->key;
		struct node *n = root;

		*(base ? &root->base : &root->value) += v[i]->val;
		while (*s) {
			const char *semi = strchr(s, ';');
			size_t len = semi ? (size_t)(semi - s) : strlen(s);

			n = child(n, s, len);
			if (!n) {
				free(v);
				return -ENOMEM;
			}
			*(base ? &n->base : &n->value) += v[i]->val;
			s += len + (semi ? 1 : 0);
		}
	}
	free(v);
	return 0;
}

static void xml_escape(struct buf *b, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '&': bprintf(b, "&amp;"); break;
		case '<': bprintf(b, "&lt;"); break;
		case '>': bprintf(b, "&gt;"); break;
		case '"': bprintf(b, "&quot;"); break;
		default:
			if ((unsigned char)*s >= 32)
				bprintf(b, "%c", *s);
		}
	}
}

static unsigned hash_name(const char *s)
{
	unsigned h = 2166136261u;

	while (*s)
		h = (h ^ (unsigned char)*s++) * 16777619u;
	return h;
}

int flamegraph_frame_kind(const char *name, int depth)
{
	struct ss_frame fr;

	if (depth == 0)
		return FG_ROOT;
	ss_parse_frame(name, depth == 1, &fr);
	if (fr.kind == SF_PROCESS)
		return FG_PROCESS;
	if (fr.kind == SF_PYTHON)
		return FG_PYTHON;
	if (fr.kind == SF_KERNEL)
		return FG_KERNEL;
	return !strcmp(name, "[unknown]") ? FG_UNKNOWN : FG_NATIVE;
}

/* The palette of a frame kind: Python green, native warm red-to-yellow (flamegraph.pl's "hot"),
 * kernel blue, process and unknown greys. The name's hash varies the shade within a palette so
 * that neighbours stay apart. */
static void colour(const char *name, int kind, char *out, size_t len)
{
	unsigned h = hash_name(name);

	switch (kind) {
	case FG_ROOT:
	case FG_PROCESS: snprintf(out, len, "rgb(190,190,190)"); break;
	case FG_UNKNOWN: snprintf(out, len, "rgb(215,215,215)"); break;
	case FG_PYTHON: snprintf(out, len, "rgb(%u,%u,%u)", 70 + h % 60, 180 + (h >> 8) % 60, 70 + (h >> 16) % 50); break;
	case FG_KERNEL: snprintf(out, len, "rgb(%u,%u,%u)", 90 + h % 50, 140 + (h >> 8) % 50, 215 + (h >> 16) % 40); break;
	default: snprintf(out, len, "rgb(%u,%u,%u)", 225 + h % 30, 80 + (h >> 8) % 130, 40 + (h >> 16) % 40);
	}
}

double flamegraph_delta(uint64_t value, uint64_t total, uint64_t base, uint64_t base_total)
{
	return (total ? (double)value / total : 0) - (base_total ? (double)base / base_total : 0);
}

/* A differential frame's fill: white for no change, red deepening as the frame's share of the
 * profile grew, blue as it shrank; k = |delta| / the largest |delta| of the graph (0..1). */
static void diff_colour(double delta, double maxd, char *out, size_t len)
{
	double k = maxd > 0 ? fabs(delta) / maxd : 0;
	unsigned c = (unsigned)(250 - 190 * (k > 1 ? 1 : k));

	if (delta > 0)
		snprintf(out, len, "rgb(250,%u,%u)", c, c);
	else if (delta < 0)
		snprintf(out, len, "rgb(%u,%u,250)", c, c);
	else
		snprintf(out, len, "rgb(250,250,250)");
}

static void max_delta(const struct node *n, uint64_t total, uint64_t btotal, double *maxd)
{
	double d = fabs(flamegraph_delta(n->value, total, n->base, btotal));

	if (n->value && d > *maxd)
		*maxd = d;
	for (int i = 0; i < n->nkids; i++)
		max_delta(n->kids[i], total, btotal, maxd);
}

#define FG_WIDTH 1200.0
#define FG_FRAME 16
#define FG_PAD 10.0
#define FG_TOP 78 /* title, subtitle, legend */

struct emit_ctx {
	struct buf *b;
	double total, btotal, maxd;
	int height;
	const char *unit;
	bool diff;
};

static void emit(struct emit_ctx *c, const struct node *n, int depth, double x)
{
	struct buf *b = c->b;
	double w = (FG_WIDTH - 2 * FG_PAD) * n->value / c->total, cx = x;
	int y = c->height - FG_FRAME * (depth + 1) - 10;
	char fill[32];
	int chars;

	if (w < 0.1)
		return; /* too thin to see; its weight stays in its parent's width */
	if (c->diff) {
		double d = flamegraph_delta(n->value, (uint64_t)c->total, n->base, (uint64_t)c->btotal);

		diff_colour(d, c->maxd, fill, sizeof(fill));
		bprintf(b, "<g class=\"f\" data-n=\"%llu\" data-b=\"%llu\" data-d=\"%d\"><title>",
			(unsigned long long)n->value, (unsigned long long)n->base, depth);
		xml_escape(b, n->name);
		bprintf(b, " (%llu %s, %.2f%%; base %llu, %.2f%%; %+.2f points)</title>", (unsigned long long)n->value,
			c->unit, 100.0 * n->value / c->total, (unsigned long long)n->base,
			c->btotal ? 100.0 * n->base / c->btotal : 0, 100 * d);
	} else {
		colour(n->name, flamegraph_frame_kind(n->name, depth), fill, sizeof(fill));
		bprintf(b, "<g class=\"f\" data-n=\"%llu\" data-d=\"%d\"><title>", (unsigned long long)n->value, depth);
		xml_escape(b, n->name);
		bprintf(b, " (%llu %s, %.2f%%)</title>", (unsigned long long)n->value, c->unit, 100.0 * n->value / c->total);
	}
	bprintf(b, "<rect x=\"%.2f\" y=\"%d\" width=\"%.2f\" height=\"%d\" fill=\"%s\" rx=\"2\"/>", x, y, w,
		FG_FRAME - 1, fill);
	chars = (int)((w - 6) / 7);
	bprintf(b, "<text x=\"%.2f\" y=\"%d\">", x + 3, y + FG_FRAME - 4);
	if (chars >= 3) {
		if ((int)strlen(n->name) <= chars) {
			xml_escape(b, n->name);
		} else {
			char *t = strndup(n->name, chars - 2);

			if (t) {
				xml_escape(b, t);
				bprintf(b, "..");
			}
			free(t);
		}
	}
	bprintf(b, "</text></g>\n");
	for (int i = 0; i < n->nkids; i++) {
		emit(c, n->kids[i], depth + 1, cx);
		cx += (FG_WIDTH - 2 * FG_PAD) * n->kids[i]->value / c->total;
	}
}

static const char fg_script[] =
	"var frames=[],svg=document.documentElement,info,matched;\n"
	"function init(){info=document.getElementById('info');matched=document.getElementById('matched');\n"
	" var gs=document.getElementsByClassName('f');for(var i=0;i<gs.length;i++){var g=gs[i],r=g.firstElementChild.nextElementSibling;\n"
	"  var f={g:g,r:r,t:g.lastElementChild,x:+r.getAttribute('x'),w:+r.getAttribute('width'),d:+g.getAttribute('data-d'),\n"
	"   name:g.firstElementChild.textContent.replace(/ \\([0-9]+ [a-z]+, [0-9.]+%%[^()]*\\)$/,''),n:+g.getAttribute('data-n')};\n"
	"  frames.push(f);g.onclick=(function(f){return function(){zoom(f)}})(f);\n"
	"  g.onmouseover=(function(f){return function(){info.textContent=f.g.firstElementChild.textContent}})(f);}}\n"
	"function label(f,w){var c=Math.floor((w-6)/7),s=f.name;f.t.textContent=c<3?'':(s.length<=c?s:s.substring(0,c-2)+'..');}\n"
	"function zoom(z){var W=" "%.1f" ",P=" "%.1f" ",s=(W-2*P)/z.w;\n"
	" for(var i=0;i<frames.length;i++){var f=frames[i],x=P+(f.x-z.x)*s,w=f.w*s;\n"
	"  var inside=f.x>=z.x-1e-6&&f.x+f.w<=z.x+z.w+1e-6;var below=f.d<z.d&&f.x<=z.x+1e-6&&f.x+f.w>=z.x+z.w-1e-6;\n"
	"  if(f.d>=z.d&&inside||below){if(below){x=P;w=W-2*P;}f.g.style.display='';f.r.setAttribute('x',x);f.r.setAttribute('width',w);\n"
	"   f.t.setAttribute('x',x+3);label(f,w);f.g.style.opacity=below?0.6:1;}else f.g.style.display='none';}}\n"
	"function reset(){for(var i=0;i<frames.length;i++){var f=frames[i];f.g.style.display='';f.g.style.opacity=1;\n"
	" f.r.setAttribute('x',f.x);f.r.setAttribute('width',f.w);f.t.setAttribute('x',f.x+3);label(f,f.w);}}\n"
	"function search(){var t=prompt('Search frames (regular expression)','');if(t===null)return;var re;\n"
	" try{re=new RegExp(t)}catch(e){alert(e);return}var tot=0,m=0,done=[];\n"
	" for(var i=0;i<frames.length;i++){var f=frames[i];if(f.d==0)tot=f.n;var hit=t!==''&&re.test(f.name);\n"
	"  f.r.style.fill=hit?'rgb(230,0,230)':'';\n"
	"  if(hit){var nested=false;for(var j=0;j<done.length;j++)if(f.x>=done[j].x&&f.x+f.w<=done[j].x+done[j].w)nested=true;\n"
	"   if(!nested){m+=f.n;done.push(f)}}}\n"
	" matched.textContent=t===''?'':'Matched: '+(tot?(100*m/tot).toFixed(2):0)+'%%';}\n";

/* The legend: a swatch and a word per palette, in one line under the subtitle (plain <rect> and
 * <text>, no <g>: every <g> of the file is a frame). */
static void legend(struct buf *b, bool diff)
{
	static const struct {
		const char *fill, *label;
	} plain[] = {
		{ "rgb(100,200,90)", "Python" },
		{ "rgb(240,140,55)", "native" },
		{ "rgb(110,160,235)", "kernel" },
		{ "rgb(190,190,190)", "process" },
		{ "rgb(215,215,215)", "[unknown]" },
	}, delta[] = {
		{ "rgb(250,60,60)", "grew (share of samples, vs base)" },
		{ "rgb(250,250,250)", "unchanged" },
		{ "rgb(60,60,250)", "shrank" },
	};
	int n = diff ? 3 : 5;
	double x = FG_PAD;

	for (int i = 0; i < n; i++) {
		const char *fill = diff ? delta[i].fill : plain[i].fill, *label = diff ? delta[i].label : plain[i].label;

		bprintf(b, "<rect class=\"legend\" x=\"%.1f\" y=\"54\" width=\"14\" height=\"12\" fill=\"%s\" "
			   "stroke=\"rgb(120,120,120)\" stroke-width=\"0.5\"/><text x=\"%.1f\" y=\"64\">%s</text>\n",
			x, fill, x + 18, label);
		x += 18 + 7.5 * strlen(label) + 18;
	}
}

int flamegraph_svg(const struct folded *f, const struct fg_opts *o, char **out, size_t *len)
{
	struct node *root = calloc(1, sizeof(*root));
	struct buf b = { 0 };
	int depth, height, err = 0;
	bool diff = o->base != NULL;
	const char *unit = o->unit ? o->unit : "samples";

	*out = NULL;
	if (!root || !(root->name = strdup("all"))) {
		free(root);
		return -ENOMEM;
	}
	err = tree_add(root, f, false);
	if (!err && diff)
		err = tree_add(root, o->base, true);
	depth = depth_of(root);
	height = FG_TOP + depth * FG_FRAME + 40;
	/* width="100%" with the viewBox: the drawing follows the viewer's width, text scaling with it */
	if (!o->inline_svg)
		bprintf(&b, "<?xml version=\"1.0\" standalone=\"no\"?>\n");
	bprintf(&b, "<svg version=\"1.1\" class=\"fgsvg\" width=\"100%%\"%s viewBox=\"0 0 %d %d\" "
		    "preserveAspectRatio=\"xMinYMin meet\" data-total=\"%llu\" data-base-total=\"%llu\" "
		    "xmlns=\"http://www.w3.org/2000/svg\" xmlns:xlink=\"http://www.w3.org/1999/xlink\">\n",
		o->inline_svg ? "" : " onload=\"init()\"", (int)FG_WIDTH, height, (unsigned long long)root->value,
		(unsigned long long)root->base);
	bprintf(&b, "<style type=\"text/css\">svg.fgsvg text{font-family:monospace;font-size:12px;fill:rgb(0,0,0)}"
		    "svg.fgsvg g.f:hover rect{stroke:black;stroke-width:0.5;cursor:pointer}"
		    "svg.fgsvg .title{font-size:17px;text-anchor:middle}svg.fgsvg .subtitle{fill:rgb(90,90,90);text-anchor:middle}"
		    "svg.fgsvg .btn{cursor:pointer;fill:rgb(60,60,160)}</style>\n");
	if (!o->inline_svg) {
		bprintf(&b, "<script type=\"text/ecmascript\"><![CDATA[\n");
		bprintf(&b, fg_script, FG_WIDTH, FG_PAD);
		bprintf(&b, "]]></script>\n");
	}
	bprintf(&b, "<rect x=\"0\" y=\"0\" width=\"%d\" height=\"%d\" fill=\"rgb(248,248,240)\"/>\n", (int)FG_WIDTH, height);
	bprintf(&b, "<text %s class=\"title\" x=\"%.1f\" y=\"24\">", o->inline_svg ? "" : "id=\"title\"", FG_WIDTH / 2);
	xml_escape(&b, o->title ? o->title : "bindprof");
	bprintf(&b, "</text>\n");
	if (o->subtitle) {
		bprintf(&b, "<text %s class=\"subtitle\" x=\"%.1f\" y=\"44\">", o->inline_svg ? "" : "id=\"subtitle\"",
			FG_WIDTH / 2);
		xml_escape(&b, o->subtitle);
		bprintf(&b, "</text>\n");
	}
	legend(&b, diff);
	if (!o->inline_svg)
		bprintf(&b, "<text class=\"btn\" x=\"10\" y=\"24\" onclick=\"reset()\">Reset zoom</text>"
			    "<text class=\"btn\" x=\"%.1f\" y=\"24\" onclick=\"search()\">Search</text>\n"
			    "<text id=\"matched\" x=\"%.1f\" y=\"%d\"></text><text id=\"info\" x=\"10\" y=\"%d\"></text>\n",
			FG_WIDTH - 70, FG_WIDTH - 200, height - 5, height - 5);
	if (!err && root->value) {
		struct emit_ctx c = { .b = &b, .total = (double)root->value, .btotal = (double)root->base,
				      .height = height - 20, .unit = unit, .diff = diff };

		if (diff)
			max_delta(root, root->value, root->base, &c.maxd);
		emit(&c, root, 0, FG_PAD);
	} else if (!err) {
		bprintf(&b, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">no stacks</text>\n", FG_WIDTH / 2, FG_TOP + 20);
	}
	bprintf(&b, "</svg>\n");
	node_free(root);
	if (!err)
		err = b.err;
	if (err) {
		free(b.p);
		return err;
	}
	*out = b.p;
	*len = b.len;
	return 0;
}

int flamegraph_write(const struct folded *f, const struct fg_opts *o, const char *path)
{
	char *text;
	size_t len;
	int err = flamegraph_svg(f, o, &text, &len);

	if (err)
		return err;
	err = write_file_atomic(path, text, len);
	free(text);
	return err;
}

int flamegraph_write_svg(const struct folded *f, const char *path, const char *title, const char *unit)
{
	char sub[64];
	struct fg_opts o = { .title = title, .subtitle = sub, .unit = unit };

	snprintf(sub, sizeof(sub), "%llu %s", (unsigned long long)f->total, unit ? unit : "samples");
	return flamegraph_write(f, &o, path);
}

void flamegraph_subtitle(char *buf, size_t len, uint64_t total, const char *unit, double hz, double secs, long pid)
{
	int n = snprintf(buf, len, "%llu %s", (unsigned long long)total, unit ? unit : "samples");

	if (pid > 0 && n >= 0 && (size_t)n < len)
		n += snprintf(buf + n, len - n, ", pid %ld", pid);
	if (secs > 0 && n >= 0 && (size_t)n < len)
		n += snprintf(buf + n, len - n, ", %.1f s", secs);
	if (hz > 0 && n >= 0 && (size_t)n < len)
		snprintf(buf + n, len - n, ", sampled at %.0f Hz per CPU", hz);
}

int flamegraph_file(const char *in, const char *base_in, const char *out, const struct fg_opts *opts, double hz,
		    double secs, long pid, char *err, int errlen)
{
	struct folded f, base;
	struct fg_opts o = *opts;
	char sub[256];
	int e;

	folded_init(&f);
	folded_init(&base);
	e = folded_read(&f, in, err, errlen);
	if (!e && base_in)
		e = folded_read(&base, base_in, err, errlen);
	if (!e) {
		if (!o.subtitle) {
			flamegraph_subtitle(sub, sizeof(sub), f.total, o.unit, hz, secs, pid);
			if (base_in) {
				size_t n = strlen(sub);

				snprintf(sub + n, sizeof(sub) - n, "; base %llu %s", (unsigned long long)base.total,
					 o.unit ? o.unit : "samples");
			}
			o.subtitle = sub;
		}
		if (base_in)
			o.base = &base;
		e = flamegraph_write(&f, &o, out);
		if (e)
			snprintf(err, errlen, "cannot write '%s': %s", out, strerror(-e));
	}
	folded_free(&f);
	folded_free(&base);
	return e;
}
