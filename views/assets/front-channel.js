// Front-channel logout: the page loads each application's logout URI in a hidden frame, then
// goes on (the link of a "signing out" page, or the SAML form of a logout page) once every frame
// has loaded, or after three seconds at most. A file of its own: the Content-Security-Policy
// allows no inline script; without script, the page's Continue button goes on.
let gone = false;
function goOn() {
  if (gone) return;
  gone = true;
  const form = document.querySelector('form[data-saml-post]');
  if (form instanceof HTMLFormElement) return form.submit();
  const next = document.querySelector('a[data-next]');
  if (next instanceof HTMLAnchorElement) window.location.replace(next.href);
}
if (document.readyState === 'complete') goOn();
else window.addEventListener('load', goOn);
setTimeout(goOn, 3000);
