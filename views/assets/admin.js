// The administration site's grids, enhanced: drag a row of the "columns" form to reorder the
// columns (the position fields follow). Without JavaScript the form works as it is: type the
// positions, or use the up/down buttons. Policy forms show only the chosen variant's fields.

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

// Policy forms: of the fieldsets of a choice (a rule's action, a token's type), show only the
// chosen one's. Without JavaScript all are shown, and the server reads only the chosen one.
function showChosenVariant(select) {
  for (const fieldset of document.querySelectorAll('fieldset[data-variant-of]')) {
    if (fieldset.dataset.variantOf === select.id) fieldset.hidden = fieldset.dataset.variant !== select.value;
  }
}

document.addEventListener('DOMContentLoaded', () => {
  for (const form of document.querySelectorAll('form.columns-form')) enhance(form);
  for (const select of document.querySelectorAll('select.variant-choice')) {
    select.addEventListener('change', () => showChosenVariant(select));
    showChosenVariant(select);
  }
});
