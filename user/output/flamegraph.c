/* SPDX-License-Identifier: GPL-2.0-only */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "output/flamegraph.h"
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

/* ---- the flamegraph ---- */

struct node {
	char *name;
	uint64_t value;
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

/* Colours by kind: Python frames green, kernel orange, native warm red-yellow, the interpreter
 * and unknown grey-blue, the process (root-most) grey. */
static void colour(const char *name, int depth, char *out, size_t len)
{
	unsigned h = hash_name(name);
	size_t n = strlen(name);

	if (depth == 0)
		snprintf(out, len, "rgb(190,190,190)");
	else if (n > 4 && !strcmp(name + n - 4, "_[k]"))
		snprintf(out, len, "rgb(%u,%u,%u)", 220 + h % 30, 140 + (h >> 8) % 50, 40 + (h >> 16) % 30);
	else if (strstr(name, ".py:") && name[n - 1] == ')')
		snprintf(out, len, "rgb(%u,%u,%u)", 70 + h % 60, 180 + (h >> 8) % 60, 70 + (h >> 16) % 50);
	else if (!strcmp(name, "[unknown]"))
		snprintf(out, len, "rgb(160,170,190)");
	else
		snprintf(out, len, "rgb(%u,%u,%u)", 225 + h % 30, 80 + (h >> 8) % 130, 50 + (h >> 16) % 40);
}

#define FG_WIDTH 1200.0
#define FG_FRAME 16
#define FG_PAD 10.0
#define FG_TOP 50

static void emit(struct buf *b, const struct node *n, int depth, double x, double total, int height,
		 const char *unit)
{
	double w = (FG_WIDTH - 2 * FG_PAD) * n->value / total, cx = x;
	int y = height - FG_FRAME * (depth + 1) - 10;
	char fill[32];
	int chars;

	if (w < 0.1)
		return; /* too thin to see; its weight stays in its parent's width */
	colour(n->name, depth, fill, sizeof(fill));
	bprintf(b, "<g class=\"f\" data-n=\"%llu\" data-d=\"%d\"><title>", (unsigned long long)n->value, depth);
	xml_escape(b, n->name);
	bprintf(b, " (%llu %s, %.2f%%)</title><rect x=\"%.2f\" y=\"%d\" width=\"%.2f\" height=\"%d\" fill=\"%s\" rx=\"2\"/>",
		(unsigned long long)n->value, unit, 100.0 * n->value / total, x, y, w, FG_FRAME - 1, fill);
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
		emit(b, n->kids[i], depth + 1, cx, total, height, unit);
		cx += (FG_WIDTH - 2 * FG_PAD) * n->kids[i]->value / total;
	}
}

static const char fg_script[] =
	"var frames=[],svg=document.documentElement,info,matched;\n"
	"function init(){info=document.getElementById('info');matched=document.getElementById('matched');\n"
	" var gs=document.getElementsByClassName('f');for(var i=0;i<gs.length;i++){var g=gs[i],r=g.firstElementChild.nextElementSibling;\n"
	"  var f={g:g,r:r,t:g.lastElementChild,x:+r.getAttribute('x'),w:+r.getAttribute('width'),d:+g.getAttribute('data-d'),\n"
	"   name:g.firstElementChild.textContent.replace(/ \\([0-9]+ [a-z]+, [0-9.]+%%\\)$/,''),n:+g.getAttribute('data-n')};\n"
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

int flamegraph_write_svg(const struct folded *f, const char *path, const char *title, const char *unit)
{
	struct strmap_entry **v = strmap_sorted(&f->m);
	struct node *root = calloc(1, sizeof(*root));
	struct buf b = { 0 };
	int depth, height, err = 0;

	if (!v || !root) {
		free(v);
		free(root);
		return -ENOMEM;
	}
	/* The root is "all"; each stack's frames below it. */
	root->name = strdup("all");
	for (size_t i = 0; i < f->m.n && !err; i++) {
		const char *s = v[i]->key;
		struct node *n = root;

		root->value += v[i]->val;
		while (*s) {
			const char *semi = strchr(s, ';');
			size_t len = semi ? (size_t)(semi - s) : strlen(s);

			n = child(n, s, len);
			if (!n) {
				err = -ENOMEM;
				break;
			}
			n->value += v[i]->val;
			s += len + (semi ? 1 : 0);
		}
	}
	free(v);
	depth = depth_of(root);
	height = FG_TOP + depth * FG_FRAME + 40;
	bprintf(&b, "<?xml version=\"1.0\" standalone=\"no\"?>\n"
		    "<svg version=\"1.1\" width=\"%d\" height=\"%d\" onload=\"init()\" viewBox=\"0 0 %d %d\" "
		    "xmlns=\"http://www.w3.org/2000/svg\" xmlns:xlink=\"http://www.w3.org/1999/xlink\">\n",
		(int)FG_WIDTH, height, (int)FG_WIDTH, height);
	bprintf(&b, "<style type=\"text/css\">text{font-family:monospace;font-size:12px;fill:rgb(0,0,0)}"
		    "g.f:hover rect{stroke:black;stroke-width:0.5;cursor:pointer}"
		    "#title{font-size:17px;text-anchor:middle}.btn{cursor:pointer;fill:rgb(60,60,160)}</style>\n");
	bprintf(&b, "<script type=\"text/ecmascript\"><![CDATA[\n");
	bprintf(&b, fg_script, FG_WIDTH, FG_PAD);
	bprintf(&b, "]]></script>\n");
	bprintf(&b, "<rect x=\"0\" y=\"0\" width=\"%d\" height=\"%d\" fill=\"rgb(248,248,240)\"/>\n", (int)FG_WIDTH, height);
	bprintf(&b, "<text id=\"title\" x=\"%.1f\" y=\"24\">", FG_WIDTH / 2);
	xml_escape(&b, title ? title : "bindprof");
	bprintf(&b, "</text>\n<text class=\"btn\" x=\"10\" y=\"24\" onclick=\"reset()\">Reset zoom</text>"
		    "<text class=\"btn\" x=\"%.1f\" y=\"24\" onclick=\"search()\">Search</text>\n"
		    "<text id=\"matched\" x=\"%.1f\" y=\"%d\"></text><text id=\"info\" x=\"10\" y=\"%d\"></text>\n",
		FG_WIDTH - 70, FG_WIDTH - 200, height - 5, height - 5);
	if (root->value)
		emit(&b, root, 0, FG_PAD, (double)root->value, height - 20, unit);
	bprintf(&b, "</svg>\n");
	if (!err)
		err = b.err ? b.err : write_file_atomic(path, b.p, b.len);
	free(b.p);
	node_free(root);
	return err;
}
