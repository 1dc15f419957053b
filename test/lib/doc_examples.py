"""Checks that README.md and doc/*.md do not go stale.

Run from the top of the tree (test/shell/42_doc_examples.sh does); prints
one line per problem and exits 1 if there is one:

- links: every link to a file of the tree names one that exists, and every
  "#anchor" names a heading of its file (GitHub's anchors);
- messages: every line of a code block that shows a server message
  (NOTICE:, WARNING:, ERROR:, DETAIL:, HINT:, CONTEXT:, QUERY:) is found,
  whole, in the output a test checks: the expected output of a pg_regress
  or isolation test (expected/*.out, test/expected/*.out), a shell test
  (test/shell/*.sh, or a TAP test, t/*.pl: the messages it expects, also as
  "SQLSTATE: message"),
  or the files named on the command line (42_doc_examples.sh runs examples
  and passes their output); durations read "(N ms)" on both sides;
- result rows: every row of a psql result shown in a code block (the lines
  after a "---" or "---+---" rule) is a row of such output, compared cell by
  cell with the padding taken off and numbers with a fraction (durations)
  read as N.

An example that no test checks fails here: make a test check it, or show
the query without its output.
"""
import glob
import os
import re
import sys

DOCS = ['README.md'] + sorted(glob.glob('doc/*.md'))
CHECKED = (sorted(glob.glob('expected/*.out')) + sorted(glob.glob('test/expected/*.out'))
           + sorted(glob.glob('test/shell/*.sh')) + sorted(glob.glob('t/*.pl'))
           + sys.argv[1:])
MESSAGE = re.compile(r'^(NOTICE|WARNING|ERROR|DETAIL|HINT|CONTEXT|QUERY):  ')
RULE = re.compile(r'^-+(\+-+)*$')
PROMPT = re.compile(r'^(=#|=>|[a-z_]*=[#>]|\(\d+ rows?\)|CALL$)')


def normalize_message(line):
    line = re.sub(r'\(\d+(\.\d+)? ms\)', '(N ms)', line.strip())
    return re.sub(r'\bin \d+(\.\d+)? ms\b', 'in N ms', line)


def normalize_row(line):
    cells = (cell.strip() for cell in line.strip().split('|'))
    return '|'.join(re.sub(r'^\d+\.\d+$', 'N', cell) for cell in cells)


def message_found(line, corpus):
    """Whether a shown message line is in the checked output, whole: not
    followed by more of a name, as a line, or inside a shell test's string."""
    severity, _, text = normalize_message(line).partition(':  ')
    forms = [severity + ':  ' + text, severity + r':  [0-9A-Z]{5}: ' + text]
    if severity == 'ERROR':
        forms.append(r'[0-9A-Z]{5}: ' + text)
    for form in forms:
        pattern = re.escape(form) if form.endswith(text) and '[0-9A-Z]' not in form else \
            form.replace(text, re.escape(text))
        if re.search(pattern + r'(?![\w.])', corpus):
            return True
    return False


def slug(title):
    title = re.sub(r'[^\w\- ]', '', title.lower())
    return title.replace(' ', '-')


def blocks(text):
    """(line number, line, in a code block) for each line of a Markdown text."""
    fence = False
    for number, line in enumerate(text.split('\n'), 1):
        if line.lstrip().startswith('```'):
            fence = not fence
            continue
        yield number, line, fence


def anchors_of(path):
    return {slug(line.lstrip('#').strip())
            for _, line, fence in blocks(open(path).read())
            if not fence and re.match(r'^#{1,6} ', line)}


def check_links(path, text, problems):
    for number, line, fence in blocks(text):
        if fence:
            continue
        for target in re.findall(r'\]\(([^)\s]+)\)', line):
            if re.match(r'^[a-z]+:', target):
                continue
            file, _, anchor = target.partition('#')
            file = os.path.normpath(os.path.join(os.path.dirname(path), file)) if file else path
            if not os.path.exists(file):
                problems.append('%s:%d: link to a missing file: %s' % (path, number, target))
            elif anchor and (not file.endswith('.md') or anchor not in anchors_of(file)):
                problems.append('%s:%d: link to a missing heading: %s' % (path, number, target))


def check_examples(path, text, corpus, rows, problems):
    in_result = False
    for number, line, fence in blocks(text):
        stripped = line.strip()
        if not fence or not stripped:
            in_result = False
            continue
        if MESSAGE.match(stripped):
            in_result = False
            if not message_found(stripped, corpus):
                problems.append('%s:%d: message no test checks: %s' % (path, number, stripped))
        elif RULE.match(stripped):
            in_result = True
        elif in_result:
            if PROMPT.match(stripped):
                in_result = False
            elif normalize_row(stripped) not in rows:
                problems.append('%s:%d: result row no test checks: %s' % (path, number, stripped))


def main():
    texts, rows = [], set()
    for path in CHECKED:
        text = open(path, errors='replace').read()
        texts.append(normalize_message(text))
        rows.update(normalize_row(line) for line in text.split('\n'))
    corpus = '\n'.join(texts)
    problems = []
    for path in DOCS:
        text = open(path).read()
        check_links(path, text, problems)
        check_examples(path, text, corpus, rows, problems)
    for problem in problems:
        print(problem)
    print('%d documentation files, %d problems' % (len(DOCS), len(problems)))
    return 1 if problems else 0


if __name__ == '__main__':
    sys.exit(main())
