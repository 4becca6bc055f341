/* Hub chat widget loader: adds one iframe to the page and nothing else (no styles, no globals). */
(function () {
  var config = {{ config|tojson }};
  if (window.__hubWidgetLoaded && window.__hubWidgetLoaded[config.id]) return;
  (window.__hubWidgetLoaded = window.__hubWidgetLoaded || {})[config.id] = true;
  var script = document.currentScript;
  var hub = config.hub;
  var params = new URLSearchParams({ host: location.origin, type: config.type });
  var identity = script && script.dataset || {};
  var frame = document.createElement('iframe');
  frame.src = hub + '/widget/frame/' + encodeURIComponent(config.id) + '?' + params.toString();
  frame.title = 'Chat';
  frame.setAttribute('allow', 'clipboard-write');
  frame.setAttribute('data-hub-widget', config.id);
  var side = config.position === 'bottom-left' ? 'left' : 'right';
  var st = frame.style;
  st.border = '0'; st.colorScheme = 'normal'; st.background = 'transparent';
  var closed = { width: '88px', height: '88px' };

  var layout = 'float';

  // The frame cannot tell a phone from its own 400px box: tell it whether it fills the screen.
  function sendLayout() {
    if (frame.contentWindow) frame.contentWindow.postMessage({ type: 'hub-widget:layout', layout: layout }, new URL(hub).origin);
  }

  function place(open) {
    if (config.type === 'embedded') return;
    var small = window.matchMedia('(max-width: 480px)').matches;
    st.position = 'fixed'; st.zIndex = '2147483000'; st.bottom = '0'; st[side] = '0';
    if (open && small) { st.width = '100vw'; st.height = '100%'; st.top = '0'; }
    else if (open) { st.width = '400px'; st.height = 'min(640px, 100vh)'; st.top = 'auto'; }
    else { st.width = closed.width; st.height = closed.height; st.top = 'auto'; }
    layout = open && small ? 'full' : 'float';
    sendLayout();
  }

  if (config.type === 'embedded') {
    var target = document.getElementById('hub-chat-widget') ||
      (script && script.dataset.target && document.querySelector(script.dataset.target));
    st.width = '100%'; st.height = (script && script.dataset.height) || '560px'; st.display = 'block';
    if (target) target.appendChild(frame);
    else if (script && script.parentNode) script.parentNode.insertBefore(frame, script);
    else document.body.appendChild(frame);
  } else {
    place(false);
    document.body.appendChild(frame);
  }

  window.addEventListener('message', function (event) {
    if (event.source !== frame.contentWindow || event.origin !== new URL(hub).origin) return;
    var data = event.data || {};
    if (data.type === 'hub-widget:open') place(true);
    if (data.type === 'hub-widget:close') place(false);
    if (data.type === 'hub-widget:ready') {
      if (config.type !== 'embedded') sendLayout();
      // Identity verification: the host page vouches for its logged-in user.
      var user = window.HubWidgetIdentity || (identity.userId ? { userId: identity.userId, userHash: identity.userHash } : null);
      frame.contentWindow.postMessage({ type: 'hub-widget:identity', user: user,
        popupDelaySeconds: config.popupDelaySeconds }, new URL(hub).origin);
    }
  });
})();
