// The administration site's grids, enhanced: drag a row of the "columns" form to reorder the
// columns (the position fields follow). Without JavaScript the form works as it is: type the
// positions, or use the up/down buttons.

function renumber(body) {
  let position = 1;
  for (const row of body.querySelectorAll('tr[data-column]')) {
    const field = row.querySelector('input.position');
    if (field) field.value = String(position++);
  }
}

function enhance(form) {
  const body = form.querySelector('.columns-table tbody');
  if (!body) return;
  let dragged = null;
  body.addEventListener('dragstart', (event) => {
    dragged = event.target.closest('tr[data-column]');
    if (!dragged) return;
    dragged.classList.add('dragging');
    event.dataTransfer.effectAllowed = 'move';
    event.dataTransfer.setData('text/plain', dragged.dataset.column);
  });
  body.addEventListener('dragover', (event) => {
    const over = event.target.closest('tr[data-column]');
    if (!dragged || !over || over === dragged) return;
    event.preventDefault();
    const box = over.getBoundingClientRect();
    const after = event.clientY > box.top + box.height / 2;
    body.insertBefore(dragged, after ? over.nextSibling : over);
  });
  body.addEventListener('dragend', () => {
    if (dragged) dragged.classList.remove('dragging');
    dragged = null;
    renumber(body);
  });
}

document.addEventListener('DOMContentLoaded', () => {
  for (const form of document.querySelectorAll('form.columns-form')) enhance(form);
});
